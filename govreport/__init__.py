"""govreport: Chinese government information-disclosure annual reports into verified, structured data.

The top-level folders of the repository are this package's subpackages (see pyproject.toml): ``configs``
(settings as data), ``inference`` (readers, taggers, post-processor: the ground floor), ``models`` (the
tagger), ``training``, ``annotations`` and ``evaluation``; the command-line shell (``govreport.cli``) sits
on top of them all.
"""
