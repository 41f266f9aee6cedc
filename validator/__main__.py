from validator.cli.entry import main

raise SystemExit(main())
