"""Cases: case types, registration, numbering and status of Syariah court cases."""
