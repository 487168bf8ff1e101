"""The `attunely` command: serve, seed, migrate and administer from the server's shell.

Administrative commands act as a named local operator (`--operator`, default: the
login name) and are checked by the policy and written to the audit trail like web actions.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.orm import Session

from attunely import __version__, clitools
from attunely.analysis.cli_report import analyse_command
from attunely.config import Settings, get_settings
from attunely.db import make_engine, make_session_factory
from attunely.errors import AttunelyError, InvalidInput
from attunely.policy import Action

app = typer.Typer(
    help="Attunely: strengths-based video feedback.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
team_app = typer.Typer(help="Teams.", no_args_is_help=True)
case_app = typer.Typer(help="Family cases.", no_args_is_help=True)
person_app = typer.Typer(help="People in a case.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (user_app, "user"),
    (team_app, "team"),
    (case_app, "case"),
    (person_app, "person"),
    (audit_app, "audit"),
):
    app.add_typer(sub, name=name)

T = TypeVar("T")
_state = clitools.state


def _version(value: bool) -> None:
    if value:
        typer.echo(f"attunely {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    operator: Annotated[
        str | None,
        typer.Option(
            envvar="ATTUNELY_OPERATOR", help="Name recorded in the audit trail for this command."
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Attunely: strengths-based video feedback for family-support practitioners."""
    _state["operator"] = (operator or getpass.getuser() or "operator").strip()[:60]


_fail = clitools.fail
_run = clitools.run
_operator = clitools.operator
_session = clitools.session


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Start the web application."""
    import uvicorn

    from attunely.app import create_app

    settings = get_settings()
    application = _run(lambda: create_app(settings))
    bind_host = host or settings.host
    bind_port = port or settings.port
    typer.echo(f"Attunely {__version__} at http://{bind_host}:{bind_port}  (Ctrl+C stops it)")
    uvicorn.run(
        application,
        host=bind_host,
        port=bind_port,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
    )


@app.command()
def demo() -> None:
    """Seed a demo organisation, one user per role and a demo case (demo use only)."""
    from attunely import demo as demo_data

    def body() -> None:
        with _session() as db:
            created = demo_data.seed(db, actor=_operator(), settings=get_settings())
        typer.echo(demo_data.describe(created))

    _run(body)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Create or migrate the database to the newest schema."""
    from attunely.db import upgrade

    _run(lambda: upgrade(get_settings(), revision))
    typer.echo("database is up to date")


@team_app.command("create")
def team_create(name: Annotated[str, typer.Argument(help="Team name.")]) -> None:
    """Create a team (and the organisation, on first use)."""
    from attunely.accounts import service
    from attunely.accounts.schemas import TeamCreate

    def body() -> None:
        with _session() as db:
            team = service.create_team(
                db,
                actor=_operator(),
                data=TeamCreate(name=name),
                organisation_name=get_settings().organisation_name,
            )
            typer.echo(team.id)

    _run(body)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Sign-in name (lower case).")],
    name: Annotated[str, typer.Option(help="Full name shown to colleagues.")],
    role: Annotated[list[str], typer.Option(help="Role; repeat for several.")],
    team: Annotated[list[str] | None, typer.Option(help="Team name or id; repeatable.")] = None,
    manages: Annotated[bool, typer.Option(help="The user manages these teams.")] = False,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
) -> None:
    """Create a staff account."""
    from attunely.accounts import service
    from attunely.accounts.schemas import UserCreate

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    def body() -> None:
        data = UserCreate.model_validate(
            {
                "username": username,
                "display_name": name,
                "password": password,
                "roles": role,
                "teams": team or [],
                "manages_teams": manages,
            }
        )
        with _session() as db:
            user = service.create_user(
                db, actor=_operator(), data=data, organisation_name=get_settings().organisation_name
            )
            typer.echo(user.id)

    _run(body)


def _user_id(db: Session, username: str | None) -> str | None:
    from attunely.accounts.service import find_user_by_username
    from attunely.errors import NotFound

    if not username:
        return None
    user = find_user_by_username(db, username=username)
    if user is None:
        raise NotFound(f"no user called {username!r}")
    return user.id


@case_app.command("create")
def case_create(
    ref: Annotated[str, typer.Option(help="Pseudonymous case reference.")],
    programme: Annotated[
        str, typer.Option(help="VIG, VIPP-SD, Minding the Baby, New Orleans Model or other.")
    ],
    team: Annotated[str | None, typer.Option(help="Team name or id.")] = None,
    guider: Annotated[str | None, typer.Option(help="Guider's username.")] = None,
    supervisor: Annotated[str | None, typer.Option(help="Supervisor's username.")] = None,
) -> None:
    """Open a case and print its id."""
    from attunely.accounts.service import find_team
    from attunely.cases import service
    from attunely.cases.schemas import CaseCreate

    def body() -> None:
        with _session() as db:
            team_id = find_team(db, name_or_id=team).id if team else None
            data = CaseCreate.model_validate(
                {
                    "reference": ref,
                    "programme": programme,
                    "team_id": team_id,
                    "guider_id": _user_id(db, guider),
                    "supervisor_id": _user_id(db, supervisor),
                }
            )
            case = service.create_case(db, actor=_operator(), data=data)
            typer.echo(case.id)

    _run(body)


@case_app.command("show")
def case_show(ref: Annotated[str, typer.Option(help="Case reference.")]) -> None:
    """Print a case as JSON."""
    from attunely.cases import service

    def body() -> None:
        with _session() as db:
            actor = _operator()
            case = service.find_by_reference(db, actor=actor, reference=ref)
            case = service.view_case(db, actor=actor, case_id=case.id)
            typer.echo(service.to_read(case).model_dump_json(indent=2))

    _run(body)


@person_app.command("add")
def person_add(
    case: Annotated[str, typer.Option(help="Case reference.")],
    kind: Annotated[str, typer.Option(help="caregiver or child.")],
    name: Annotated[str, typer.Option(help="Name as the family uses it.")],
    born: Annotated[str | None, typer.Option(help="Date of birth, YYYY-MM-DD.")] = None,
    parental_responsibility: Annotated[
        bool,
        typer.Option(
            "--parental-responsibility", help="The caregiver has parental responsibility."
        ),
    ] = False,
) -> None:
    """Add a caregiver or child to a case and print the person's id."""
    from attunely.cases import service
    from attunely.cases.schemas import PersonCreate

    def body() -> None:
        with _session() as db:
            actor = _operator()
            found = service.find_by_reference(db, actor=actor, reference=case)
            data = PersonCreate.model_validate(
                {
                    "kind": kind,
                    "display_name": name,
                    "born": born,
                    "parental_responsibility": parental_responsibility,
                }
            )
            person = service.add_person(db, actor=actor, case_id=found.id, data=data)
            typer.echo(person.id)

    _run(body)


consent_app = typer.Typer(
    help="Consent records (paper and witnessed consents).", no_args_is_help=True
)
app.add_typer(consent_app, name="consent")


def _purposes(text: str) -> list[Any]:
    from attunely.consent.schemas import parse_purposes

    try:
        return list(parse_purposes(text))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="purposes") from None


@consent_app.command("record")
def consent_record(
    case: Annotated[str, typer.Option(help="Case reference.")],
    person: Annotated[str, typer.Option(help="Id of the caregiver giving consent.")],
    purposes: Annotated[str, typer.Option(help="Comma-separated purposes, or 'all'.")],
    basis: Annotated[
        str,
        typer.Option(help="consent, public_task, legitimate_interest or legal_obligation."),
    ],
    given_by: Annotated[str, typer.Option(help="Name of the person who signed.")],
    expires: Annotated[
        str | None, typer.Option(help="Date the consent lapses, YYYY-MM-DD.")
    ] = None,
    given_on: Annotated[
        str | None, typer.Option(help="Date it was given, YYYY-MM-DD (default today).")
    ] = None,
    method: Annotated[
        str, typer.Option(help="paper, witnessed_typed_name or signature.")
    ] = "paper",
    witness: Annotated[str, typer.Option(help="Witness of a typed name.")] = "",
    text_version: Annotated[str, typer.Option(help="Version of the consent text.")] = "paper",
    retention_months: Annotated[int, typer.Option(help="Retention period stated.")] = 24,
    access: Annotated[
        str, typer.Option(help="Who the form says will have access.")
    ] = "as stated on the signed paper form",
) -> None:
    """Record a caregiver's consent (or another lawful basis) for purposes; audited."""
    from datetime import date

    from attunely.cases import service as cases
    from attunely.consent import service
    from attunely.consent.schemas import ConsentCreate

    def body() -> None:
        data = ConsentCreate.model_validate(
            {
                "person_id": person,
                "purposes": _purposes(purposes),
                "basis": basis,
                "text_version": text_version,
                "retention_months": retention_months,
                "access": access,
                "method": method,
                "given_by": given_by,
                "witness": witness,
                "given_on": given_on or date.today().isoformat(),
                "expires_on": expires,
            }
        )
        with _session() as db:
            actor = _operator()
            found = cases.find_by_reference(db, actor=actor, reference=case)
            made = service.record_consent(db, actor=actor, case_id=found.id, data=data)
            for record in made:
                typer.echo(f"{record.id} {record.purpose} recorded")

    _run(body)


@consent_app.command("withdraw")
def consent_withdraw(
    case: Annotated[str, typer.Option(help="Case reference.")],
    person: Annotated[str, typer.Option(help="Id of the caregiver withdrawing consent.")],
    purposes: Annotated[str, typer.Option(help="Comma-separated purposes, or 'all'.")],
) -> None:
    """Withdraw a caregiver's consent for purposes; access stops at once; audited."""
    from attunely.cases import service as cases
    from attunely.consent import service
    from attunely.consent.schemas import ConsentWithdraw

    def body() -> None:
        data = ConsentWithdraw.model_validate(
            {"person_id": person, "purposes": _purposes(purposes)}
        )
        with _session() as db:
            actor = _operator()
            found = cases.find_by_reference(db, actor=actor, reference=case)
            gone = service.withdraw_consent(db, actor=actor, case_id=found.id, data=data)
            for record in gone:
                typer.echo(f"{record.id} {record.purpose} withdrawn")

    _run(body)


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute the audit hash chain; exit 1 naming the first broken entry."""
    from attunely.audit import service
    from attunely.guard import require

    def body() -> Any:
        with _session() as db:
            actor = _operator()
            require(db, actor=actor, action=Action.AUDIT_VERIFY, object_type="audit")
            report = service.verify(db)
            service.record(
                db,
                actor=actor,
                action="audit.verify",
                object_type="audit",
                object_id="-",
                purpose="governance",
                outcome="success" if report.ok else "failure",
            )
            return report

    report = _run(body)
    if as_json:
        typer.echo(json.dumps(report.__dict__, indent=2))
    elif report.ok:
        typer.echo(f"ok: {report.checked} entries verify; head {report.head_hash}")
    if not report.ok:
        typer.echo(f"BROKEN at entry {report.first_broken}: {report.problem}", err=True)
        raise typer.Exit(1)


keys_app = typer.Typer(help="Vault encryption keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-wrap every case key under a new master key version and destroy the old ones."""
    from attunely.vault import admin

    report = _run(lambda: admin.rotate(get_settings(), actor=_operator()))
    typer.echo(
        f"master key version {report.new_version}: {report.rewrapped} case keys re-wrapped; "
        f"destroyed versions {report.retired_versions or 'none'}"
    )


@keys_app.command("shred")
def keys_shred(
    case: Annotated[str, typer.Option(help="Case reference.")],
    reason: Annotated[str, typer.Option(help="Why the footage is destroyed (audited).")],
    rotate: Annotated[
        bool, typer.Option(help="Rotate the master key after, so old backups cannot help.")
    ] = True,
) -> None:
    """Crypto-shred a case: destroy its key so none of its footage can be read again."""
    from attunely.vault import admin

    outcome = _run(
        lambda: admin.shred(
            get_settings(), actor=_operator(), reference=case, reason=reason, rotate_after=rotate
        )
    )
    typer.echo(
        f"case {case}: key destroyed, {outcome.shred.objects} objects unreadable, "
        f"{outcome.blobs_removed} blobs deleted"
        + (f", master key now version {outcome.rotation.new_version}" if outcome.rotation else "")
    )


@keys_app.command("cleanup")
def keys_cleanup(
    older_than_hours: Annotated[
        float, typer.Option(min=0, help="Only uploads abandoned longer ago than this.")
    ] = 24,
) -> None:
    """Remove orphaned ciphertext and abandoned uploads from the vault."""
    from datetime import timedelta

    from attunely.vault import admin

    report = _run(
        lambda: admin.cleanup(
            get_settings(), actor=_operator(), older_than=timedelta(hours=older_than_hours)
        )
    )
    typer.echo(
        f"removed {report.blobs_removed} blobs, {report.rows_removed} pending rows, "
        f"{report.incomplete_uploads_removed} incomplete uploads"
    )


def _register_features() -> None:
    """Add the commands that feature packages keep in their own `cli.py`."""
    import importlib

    for name in FEATURE_COMMANDS:
        importlib.import_module(f"attunely.{name}.cli").register(app)


#: Feature packages with a `cli.py` whose `register(app)` adds their commands.
FEATURE_COMMANDS = ("retention", "rights", "sharing", "backup", "dpia")


def main() -> None:
    """Entry point of the console script."""
    # Everything Attunely writes (database, keys, vault) is for its own account only.
    os.umask(0o077)
    app()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=16, help="Jobs run at once.")] = 1,
) -> None:
    """Run background jobs until stopped (for ATTUNELY_JOBS=external deployments)."""
    import signal
    import threading

    from attunely.jobs.runner import Worker

    settings = get_settings()
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    workers = [Worker(settings=settings, sessions=sessions) for _ in range(concurrency)]

    def stop(_signum: int, _frame: object) -> None:
        for each in workers:
            each.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threads = [threading.Thread(target=w.run_forever, name=w.name) for w in workers]
    for thread in threads:
        thread.start()
    typer.echo(f"worker running ({concurrency} at once); Ctrl+C stops it", err=True)
    for thread in threads:
        thread.join()
    engine.dispose()


media_app = typer.Typer(help="Films in the vault.", no_args_is_help=True)
app.add_typer(media_app, name="media")


@media_app.command("import")
def media_import(
    path: Annotated[Path, typer.Argument(help="The film file to import.")],
    case: Annotated[str, typer.Option(help="Case reference.")],
    label: Annotated[
        str | None, typer.Option(help="Name of the film (default: file name).")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Return when the playback copy is made.")] = False,
) -> None:
    """Encrypt a film into the vault and print its id; --wait also processes it."""
    from attunely.films.imports import import_film
    from attunely.vault.context import vault_for

    def body() -> str:
        settings = get_settings()
        with _session(settings):
            pass  # checks the database is migrated
        engine = make_engine(settings)
        sessions = make_session_factory(engine)
        size = path.stat().st_size if path.is_file() else 0
        with typer.progressbar(length=max(size, 1), label="encrypting", file=sys.stderr) as bar:
            last = [0]

            def moved(done: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            film = import_film(
                sessions,
                vault=vault_for(settings, sessions),
                actor=_operator(),
                case_reference=case,
                path=path,
                label=label,
                progress=moved,
            )
        if wait:
            _wait_for(settings, sessions, film.id)
        engine.dispose()
        return film.id

    typer.echo(_run(body))


def _wait_for(settings: Settings, sessions: Any, film_id: str) -> None:
    """Run the film's jobs here, with a progress bar, until none is left to do."""
    from attunely.films.models import Film
    from attunely.jobs import service as jobs
    from attunely.jobs.runner import Worker

    worker = Worker(settings=settings, sessions=sessions, only_subject=film_id)
    with typer.progressbar(length=100, label="processing", file=sys.stderr) as bar:
        shown = 0
        while True:
            worked = worker.run_once()
            with sessions() as db:
                states = [(j.state, j.progress) for j in jobs.jobs_for(db, subject_id=film_id)]
                film = db.get(Film, film_id)
                film_state, problem = (film.state, film.problem) if film else ("gone", "")
            done = sum(
                p if s == jobs.RUNNING else 1.0 for s, p in states if s != jobs.QUEUED
            ) / max(len(states), 1)
            bar.update(int(done * 100) - shown)
            shown = int(done * 100)
            if not worked and all(s in (jobs.DONE, jobs.FAILED) for s, _p in states):
                break
    if film_state != "ready":
        raise AttunelyError(f"the film is {film_state}: {problem}")


@media_app.command("show")
def media_show(film_id: Annotated[str, typer.Argument(help="Film id.")]) -> None:
    """Print what is known about a film (state, duration, codecs, rotation …) as JSON."""
    from attunely.films import service
    from attunely.policy import Action as A

    def body() -> str:
        with _session() as db:
            film, _case = service.get_film(
                db, actor=_operator(), film_id=film_id, action=A.FILM_LIST
            )
            return service.film_read(db, film).model_dump_json(indent=2)

    typer.echo(_run(body))


@media_app.command("export")
def media_export(
    film_id: Annotated[str, typer.Argument(help="Film id.")],
    out: Annotated[Path, typer.Option(help="Where to write the decrypted original.")],
) -> None:
    """Write a film's decrypted original to a file (administrators only; audited)."""
    from attunely.films import service
    from attunely.vault.context import vault_for

    def body() -> None:
        if out.exists():
            raise InvalidInput(f"{out} exists; choose a new file name", field="out")
        settings = get_settings()
        with _session(settings) as db:
            vault = vault_for(settings, make_session_factory(db.get_bind()))  # type: ignore[arg-type]
            film, reader = service.open_original(
                db, vault=vault, actor=_operator(), film_id=film_id
            )
            db.commit()
            with out.open("xb") as handle:
                for piece in reader.iter_range():
                    handle.write(piece)
            if reader.sha256 != film.sha256 and film.sha256:
                out.unlink()
                raise AttunelyError("the exported copy does not match the stored checksum")
        typer.echo(f"wrote {out} ({reader.length} bytes, sha256 {reader.sha256})")

    _run(body)


# `attunely analyse FILM --out DIR`: a local first pass over any film, no server or database.
app.command("analyse")(analyse_command)

_register_features()
