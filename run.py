"""Start LiveBoard: `python run.py` is `liveboard serve`; `python run.py assets` etc. also work."""

from liveboard.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
