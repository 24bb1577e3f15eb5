"""The built-in SPKMS plugins; each registers under the ``spkms.plugins`` group."""
