"""Assertions shared by the engine's unit tests."""
import pytest

from engine.errors import EngineError, ERROR_KEYS


def raises_key(key, func, *args, **kwargs):
    """Assert EngineError(key) with exactly the key's parameter names; return the error."""
    with pytest.raises(EngineError) as info:
        func(*args, **kwargs)
    assert info.value.key == key
    assert set(info.value.params) == set(ERROR_KEYS[key])
    return info.value
