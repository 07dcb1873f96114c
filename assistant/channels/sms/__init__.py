"""The SMS channel (``channel.SmsInput``, Twilio's Messaging webhook under ``/webhooks/sms``).

``form`` (the signed raw form), ``identity`` (pseudonymous conversation ids), ``keywords``
(STOP, START, HELP), ``menu`` (numbered choices for buttons), ``reply`` and ``segments``
(shaping answers into few, cheap SMS segments) and ``state`` (opt-outs, menus and seen
MessageSids in the tracker database, so replicas agree).
"""
