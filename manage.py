#!/usr/bin/env python
from yimen.cli import main

if __name__ == "__main__":
    main()
