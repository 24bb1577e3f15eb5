"""File tracking: physical case files, their labels, locations and movements."""
