"""HCERT (EU DCC, WHO DDCC ``HC1:``): one module per stage, prefix to rules, and the pipeline that runs them.

Built on the shared layer (``vaxcert.errors``, ``vaxcert.cose``, ``vaxcert.keys``, ``vaxcert.trust``,
``vaxcert.outcome``); it never imports another format's subpackage. The public entry points are
re-exported by ``vaxcert`` itself (``from vaxcert import verify, issue``).
"""
