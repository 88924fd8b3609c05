import sys

from vinopy.tools.benchmark_app.main import main

sys.exit(main())
