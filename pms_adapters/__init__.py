"""Practice-management-system adapters.

The adapter contract, its conformance kit and the registry arrive with the adapter-contract
issue; today the built-in diary (`diary.Diary`) is used directly.
"""
