"""Turn-taking policy: when the caller's turn is over, what a barge-in is, and what is only a backchannel."""
