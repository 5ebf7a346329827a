"""The `kam` command line (PLAT-3). Each command sets Django up itself, when it runs."""

from __future__ import annotations

import typer

from kam_cli.admin import init, user_app
from kam_cli.club import club_app
from kam_cli.data import export_command, import_command
from kam_cli.demo import demo
from kam_cli.planner import plan_command
from kam_cli.plans import plans_app
from kam_cli.policy import calendar_app, policy_app
from kam_cli.relations import relations_app
from kam_cli.risk import risk_app
from kam_cli.score import clv_app, score_command
from kam_cli.segment import segment_app
from kam_cli.server import serve
from kam_cli.service import service_app
from kam_cli.worker import worker

app = typer.Typer(
    name="kam",
    help="KAM, key-account management: set up, import and export data, manage users, "
    "score customers, run the server, its task worker or a demo.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("init")(init)
app.command("import")(import_command)
app.command("export")(export_command)
app.command("serve")(serve)
app.command("worker")(worker)
app.command("demo")(demo)
app.command("score")(score_command)
app.add_typer(user_app, name="user")
app.add_typer(clv_app, name="clv")
app.add_typer(segment_app, name="segment")
app.add_typer(risk_app, name="risk")
app.add_typer(relations_app, name="relations")
app.add_typer(policy_app, name="policy")
app.add_typer(calendar_app, name="calendar")
app.add_typer(club_app, name="club")
app.add_typer(plans_app, name="plans")
app.command("plan")(plan_command)
app.add_typer(service_app, name="service")


def main() -> None:
    app()
