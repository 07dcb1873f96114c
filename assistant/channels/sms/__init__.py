"""The SMS channel (``channel.SmsInput``, Twilio's Messaging webhook under ``/webhooks/sms``).

``form`` (the signed raw form), ``identity`` (pseudonymous conversation ids), ``keywords``
(STOP, START, HELP; PARAR, CANCELAR, AYUDA), ``language`` (which language the channel's own
texts are in), ``menu`` (numbered choices for buttons), ``reply`` and ``segments`` (shaping
answers into few, cheap GSM-7 SMS segments) and ``state`` (opt-outs, menus and seen
MessageSids in the tracker database, so replicas agree).
"""
