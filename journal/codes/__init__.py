"""Code lists the journal checks input against, each a data file with its source and version.

``dk_municipality_codes.json``: DK Core's municipality codes (the home-care notice's addressee), taken
unchanged in code and display from the DK Core IG package named in the file.
"""
