"""Command-line helpers behind the Makefile: train when needed, run everything, chat."""
