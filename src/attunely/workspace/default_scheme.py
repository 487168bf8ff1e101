"""The default coding scheme: the six principles of attuned interaction and guidance.

Each principle is one code; its behaviours are what a guider looks for on the film. The
wording is Attunely's own. Keys are on the top row of digits, so a laptop without a numpad
codes as easily as one with.
"""

from __future__ import annotations

from typing import Any

DEFAULT_SCHEME_NAME = "Attuned interaction and guidance"
DEFAULT_SCHEME_DESCRIPTION = (
    "The six principles of attuned interaction and guidance, from noticing the other to "
    "reaching a shared understanding. Look for moments that are going well."
)

INTERACTION = "Attuned interaction"
GUIDANCE = "Guidance"

DEFAULT_CODES: list[dict[str, Any]] = [
    {
        "code": "attentive",
        "name": "Being attentive",
        "category": INTERACTION,
        "type": "state",
        "colour": "#1f77b4",
        "key": "1",
        "behaviours": [
            "Looks at the other with interest",
            "Body turned towards the other, relaxed and friendly",
            "Leaves the other time and room",
            "Seems curious about what the other is doing or feeling",
            "Shows pleasure in watching the other",
        ],
    },
    {
        "code": "encouraging",
        "name": "Encouraging initiatives",
        "category": INTERACTION,
        "type": "point",
        "colour": "#2ca02c",
        "key": "2",
        "behaviours": [
            "Waits for the other to begin",
            "Listens closely",
            "Speaks in a warm or playful voice",
            "Puts into words what the child is doing or feeling",
            "Says what they are doing themselves",
            "Watches out for the child's initiatives",
        ],
    },
    {
        "code": "receiving",
        "name": "Receiving initiatives",
        "category": INTERACTION,
        "type": "point",
        "colour": "#d62728",
        "key": "3",
        "behaviours": [
            "Shows the initiative has been noticed",
            "Answers with the body: turning, leaning in",
            "Meets the other's gaze",
            "Smiles or nods",
            "Answers in words",
            "Echoes the other's words or sounds",
        ],
    },
    {
        "code": "developing",
        "name": "Developing attuned interactions",
        "category": INTERACTION,
        "type": "state",
        "colour": "#9467bd",
        "key": "4",
        "behaviours": [
            "Receives, then responds",
            "Checks they have understood",
            "Waits for their own turn",
            "Shares fun",
            "Stays with the same topic for a second turn and more",
            "Short turns back and forth",
            "Both take an equal part",
            "Work together",
        ],
    },
    {
        "code": "guiding",
        "name": "Guiding",
        "category": GUIDANCE,
        "type": "point",
        "colour": "#e6a100",
        "key": "5",
        "behaviours": [
            "Gives just enough support and builds on the response",
            "Extends what the other offers",
            "Notices how much help is needed and adjusts it",
            "Offers information or help when it is needed",
            "Gives choices or ideas the other can take up",
            "Sets a limit in a warm way",
        ],
    },
    {
        "code": "deepening",
        "name": "Deepening discussion",
        "category": GUIDANCE,
        "type": "state",
        "colour": "#17becf",
        "key": "6",
        "behaviours": [
            "Helps to set goals",
            "Shares points of view",
            "Solves problems together",
            "Names differences and disagreements openly",
            "Explores what each of them meant to do",
            "Reaches a new, shared understanding",
        ],
    },
]
