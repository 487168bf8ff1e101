from attunely.cli import main

main()
