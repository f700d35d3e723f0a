from .admin import main

raise SystemExit(main())
