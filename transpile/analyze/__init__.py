"""Analyze: evaluate a Flux program at compile time into Plan nodes and constants.

Scalars fold to constants, variables and user functions are inlined, table streams
become Plan nodes and row functions become `scalar` expressions over columns.
"""
