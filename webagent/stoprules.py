"""When a run ends other than by the agent's own `stop`: the step budget, failures in a row (failed actions or
replies that were not an action), and the same action repeated on an unchanged page (the loop breaker)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Stop:
    """Why the run ends: a status (max_steps | loop | errors) and a sentence for the user."""

    status: str
    reason: str


@dataclass
class StopRules:
    """The stop rules of one run and what they count. Feed it every step's outcome; a `Stop` means: end here."""

    max_steps: int = 15
    max_consecutive_errors: int = 5
    loop_limit: int = 3
    consecutive_errors: int = 0
    repeats: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def of(cls, config: object) -> StopRules:
        """The rules of an `AgentConfig` (or anything with max_steps, max_consecutive_errors, loop_limit)."""
        return cls(config.max_steps, config.max_consecutive_errors, config.loop_limit)  # type: ignore[attr-defined]

    def out_of_steps(self) -> Stop:
        return Stop("max_steps", f"reached --max-steps {self.max_steps}")

    def invalid_reply(self) -> Stop | None:
        """The model's reply was not an action (nothing was executed)."""
        self.consecutive_errors += 1
        if self.consecutive_errors >= self.max_consecutive_errors:
            return Stop("errors", f"{self.consecutive_errors} invalid replies in a row")
        return None

    def acted(self, action: str, page: str, ok: bool, error: str | None = None) -> Stop | None:
        """`action` ran on the page whose identity is `page`; ok or failed with `error`."""
        key = (action, page)
        self.repeats[key] = self.repeats.get(key, 0) + 1
        self.consecutive_errors = 0 if ok else self.consecutive_errors + 1
        if self.repeats[key] >= self.loop_limit:
            return Stop("loop", f"the same action ({action}) repeated {self.repeats[key]} times on an unchanged page")
        if self.consecutive_errors >= self.max_consecutive_errors:
            return Stop("errors", f"{self.consecutive_errors} failed actions in a row; last: {error}")
        return None
