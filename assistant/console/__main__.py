from assistant.console.cli import run

run()
