DEMO_LOGINS = {"password": "", "accounts": {}}


def load_demo(only_if_empty: bool = False) -> str:
    raise RuntimeError("the demo expo is not written yet")
