"""``sipas worker``: send the SMS outbox; ``sipas campaign ...``: fieldwork steps from a shell."""

from __future__ import annotations

import argparse
import getpass
import logging
from dataclasses import asdict

from sqlmodel import Session

from api.access_log import redact_path
from survey.db import make_engine
from survey.invitations import create_invitations
from survey.logging_setup import configure_logging
from survey.outbox import delivery_report_url, inbound_url, queue_invitation_sms, requeue_message
from survey.purge import purge_contacts
from survey.settings import load_settings
from survey.worker import WorkerConfig, make_gateway, run_worker


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = subparsers.add_parser(
        "worker",
        help="send queued SMS (and due reminders) through the configured gateway",
        description="Runs until stopped; --once processes one batch and exits. Messages wait "
        "during quiet hours; a message interrupted by a crash is marked unknown, never resent.",
    )
    worker.add_argument("--once", action="store_true", help="process one batch and exit")
    worker.add_argument("--batch", type=int, default=50, help="messages claimed per pass")
    worker.add_argument("--idle", type=float, default=5.0, help="seconds to wait when idle")
    worker.add_argument(
        "--lease",
        type=float,
        default=120.0,
        help="seconds before another worker takes over a batch claimed by a worker that died "
        "(longer than the gateway's timeout)",
    )
    worker.add_argument(
        "--print-inbound-url",
        action="store_true",
        help="print the reply (MO) URL for Kannel's get-url, key included, and exit; keep the "
        "output out of logs",
    )
    worker.set_defaults(handler=_worker)

    campaign = subparsers.add_parser("campaign", help="fieldwork steps of a campaign")
    sub = campaign.add_subparsers(title="campaign commands", metavar="COMMAND", required=True)
    invite = sub.add_parser("invite", help="create invitations and queue their SMS")
    invite.add_argument("campaign_id", type=int)
    invite.set_defaults(handler=_invite)
    purge = sub.add_parser(
        "purge", help="delete the campaign's phone numbers (after closing it); answers stay"
    )
    purge.add_argument("campaign_id", type=int)
    purge.set_defaults(handler=_purge)

    sms = subparsers.add_parser("sms", help="the SMS outbox: requeue failed or unknown messages")
    sms_sub = sms.add_subparsers(title="sms commands", metavar="COMMAND", required=True)
    requeue = sms_sub.add_parser(
        "requeue",
        help="send a failed or unknown message again, with a reason (kept in the audit log)",
        description="The worker never resends a failed or unknown message by itself. An unknown "
        "message may already have reached the phone: check the gateway's log first.",
    )
    requeue.add_argument("message_id", type=int, help="the message's id (see the campaign page)")
    requeue.add_argument("--reason", required=True, help="why it may be sent again (5-500 chars)")
    requeue.add_argument(
        "--by", default="", help="who decided (recorded in the audit log; default: the shell user)"
    )
    requeue.set_defaults(handler=_requeue)


def _worker(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.print_inbound_url:
        print(inbound_url(settings))
        return 0
    # SIPAS_LOG_FORMAT: one JSON line per record under systemd, text at a terminal.
    configure_logging()
    gateway = make_gateway(settings)
    if settings.sms_gateway == "kannel":
        # The console is often a log: name the endpoints, never the inbound key.
        log = logging.getLogger("sipas.worker")
        log.info(
            "delivery reports expected at %s (signed per message)", delivery_report_url(settings)
        )
        log.info(
            "replies (Kannel get-url) at %s; `sipas worker --print-inbound-url` prints the URL "
            "with its key",
            redact_path(inbound_url(settings)),
        )
    with Session(make_engine(settings)) as session:
        report = run_worker(
            session=session,
            settings=settings,
            gateway=gateway,
            config=WorkerConfig(batch_size=args.batch, lease_seconds=args.lease),
            once=args.once,
            idle_seconds=args.idle,
        )
    print(" ".join(f"{k}={v}" for k, v in asdict(report).items() if v))
    return 0


def _invite(args: argparse.Namespace) -> int:
    settings = load_settings()
    with Session(make_engine(settings)) as session:
        created = create_invitations(
            session=session, settings=settings, campaign_id=args.campaign_id
        )
        queued = queue_invitation_sms(
            session=session, settings=settings, campaign_id=args.campaign_id
        )
    print(
        f"invitations: {created.created} new ({created.sms} SMS, {created.letter} letter); "
        f"SMS queued: {queued.queued} ({queued.segments} parts)"
    )
    return 0


def _requeue(args: argparse.Namespace) -> int:
    settings = load_settings()
    who = args.by or f"cli:{getpass.getuser()}"
    with Session(make_engine(settings)) as session:
        message = requeue_message(
            session=session, message_id=args.message_id, reason=args.reason, actor_name=who
        )
    print(f"message {message.id} queued again (attempts reset); the worker will send it")
    return 0


def _purge(args: argparse.Namespace) -> int:
    settings = load_settings()
    with Session(make_engine(settings)) as session:
        report = purge_contacts(session=session, campaign_id=args.campaign_id)
    print(
        f"removed phones: {report.invitations} invitations, {report.messages} messages, "
        f"{report.contacts} frame contacts"
    )
    return 0
