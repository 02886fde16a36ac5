"""Calls beyond every call slot of this worker: held in line in the worker's main process, then handed to an agent."""
