"""Which language, English or Spanish: per message (``detect``), asked for (``requests``) and
for the conversation (``choice``)."""
