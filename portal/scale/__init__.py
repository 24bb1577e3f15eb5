"""The scale data set behind ``spkms demo --scale``: a state's decade of data.

``people`` makes Malay names and valid MyKad numbers, ``bulk`` writes rows
by COPY or executemany with their insert versions, ``cases`` generates
cases and what hangs off them, and ``loader`` puts it together. It writes
into the built-in plugins' tables directly, on purpose: services take one
case at a time, and the demo needs hundreds of thousands. See
docs/scale.md.
"""
