from assistant.quiet_warnings import install

install()  # before the console's dependencies are imported
from assistant.console.cli import run  # noqa: E402

run()
