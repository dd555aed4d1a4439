"""Recurring-fault detection (SPEC §7): confirmed failures against the installed base, cell by cell.

``baseline`` fits age-specific hazards with right censoring, ``statistics`` holds the sequential
tests and their thresholds, ``engine`` runs one pass over grouped counts (pure, no database),
``scan`` counts in SQL and writes fault signals, ``simulator`` builds fleets with known faults.
"""
