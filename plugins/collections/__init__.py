"""Collections: fees, fines and deposits with official receipts, online and offline."""
