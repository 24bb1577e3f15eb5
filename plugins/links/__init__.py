"""System Links: exchanges with JPN, PDRM, JIM, BHEUU and JAKIM."""
