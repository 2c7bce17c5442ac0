"""The default gateway: the database outbox is the record, nothing leaves the machine.

Used in development, demos and on sites without an SMS contract: invitations are written to the
outbox table by the invitation use cases, and coordinators export or send them by other means.
The gateway only checks the number and answers "accepted", so the outbox marks the message sent.
"""

from __future__ import annotations

from survey.sms.gateway import SendOutcome, SendResult, validate_e164

__all__ = ["LocalOutboxGateway"]


class LocalOutboxGateway:
    """Accept every well-formed message without sending it anywhere.

    It keeps no state of its own: the outbox row written before :meth:`send` is the record.
    """

    reference_prefix = "local:"

    def send(self, message_id: str, to: str, text: str) -> SendResult:
        """Accept the message.

        Parameters
        ----------
        message_id
            Our id for the message; the reference is ``"local:" + message_id``.
        to
            Recipient in E.164 form.
        text
            Message text (not inspected).

        Returns
        -------
        SendResult
            Accepted, or a permanent failure when ``to`` is not E.164.
        """
        try:
            validate_e164(to)
        except ValueError as error:
            return SendResult(SendOutcome.PERMANENT_FAILURE, None, str(error))
        return SendResult(
            SendOutcome.ACCEPTED, self.reference_prefix + message_id, "kept in the local outbox"
        )
