"""Dead code for `make lint`: vulture over the apps and portal, configured in pyproject.toml
([tool.vulture]), with lint/vulture_whitelist.py for what frameworks call by name.

A use case that only the tests call is unfinished: every service has its door (a page, an admin
action, a management command or a task). This reports the functions, methods, classes and
properties that nothing calls, the imports nothing uses, unreachable code and unused arguments.

It leaves out class attributes (vulture's "variable" and "attribute" at 60 %): model and form
fields, admin options and Meta are Django's declarations, read by name from strings
(`list_display`, `fields`) and templates, which vulture does not read; whitelisting each would
make the whitelist as long as the models.
"""

import sys

from vulture import Vulture
from vulture.config import make_config
from vulture.utils import ExitCode

REPORTED = {"function", "method", "class", "property", "import", "unreachable_code"}


def main(argv: list[str]) -> int:
    config = make_config(argv)
    vulture = Vulture(
        ignore_names=config["ignore_names"], ignore_decorators=config["ignore_decorators"]
    )
    vulture.scavenge(config["paths"], exclude=config["exclude"])
    dead = [
        item
        for item in vulture.get_unused_code(min_confidence=config["min_confidence"])
        if item.typ in REPORTED or item.confidence == 100  # 100: an unused argument or local
    ]
    for item in dead:
        print(item.get_report())
    if dead:
        print(
            f"{len(dead)} unused: give each its door (page, admin action, command or task), "
            "delete it, or, if a framework calls it by name, add it to lint/vulture_whitelist.py",
            file=sys.stderr,
        )
        return ExitCode.DeadCode
    return vulture.exit_code  # InvalidInput when a file does not parse


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
