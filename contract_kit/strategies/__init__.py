"""Hypothesis strategies for chat-completions requests, responses and streams."""
