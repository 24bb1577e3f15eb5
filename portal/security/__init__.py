"""Security: roles, the court-scope and confidentiality check, the FAB manager."""
