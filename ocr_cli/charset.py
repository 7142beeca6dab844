"""The canonical character sample and class list shared by every loader and recognizer.

A *sample* is a 32×32 ``float32`` array in [0, 1], **ink = 1, background = 0**, upright
(row 0 is the top of the glyph, column 0 its left). Batches are ``(N, 32, 32)``.
The glyph is centred, its longer side scaled to fill about 80% of the square.

Labels are indices into :data:`CLASSES`: ``A``–``Z`` then ``0``–``9`` (the NIST36 order).
"""

CLASSES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SIZE = 32
LETTERS = CLASSES[:26]
DIGITS = CLASSES[26:]
