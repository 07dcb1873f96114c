"""Shared library of the patient help assistant: knowledge, NLU components, channels, clocks."""
