"""The note that tells the dialog (offline engine or cloud LLM) a phone call's caller ID is on file."""

CALLER_ID_NOTE = (
    "Caller ID is on file for this call: look the caller up with find_customer and no arguments "
    "before asking who they are."
)
"""Says that there is a number, never which: the chat context reaches logs and spans."""
