"""Best-first tree search over real browser states (Koh et al. 2024), with the improvements listed in
../shared/background/search-and-worldmodel.md §4:

- candidates from one n-sample request, canonicalised and de-duplicated, vote shares used as priors;
- frontier ordered by the parent's value plus a prior bonus minus a depth penalty (ties: shallower, then earlier);
- lazy evaluation (children scored when popped) or comparative mode (all children of a node executed, then scored
  in one call, shuffled), absolute judge kept for termination; a stop threshold with a confirmation re-sample;
- budgets in nodes, tokens and seconds (search/budget.py);
- backtracking by snapshot restore verified by the state key, prefix replay in a fresh context only on a mismatch;
- safe exploration: irreversible actions are simulated (world model if any, else a judge of the proposed action),
  never executed, and the network guard aborts every non-GET request while exploring;
- caches of values and a transposition table (identical states reached by different paths are merged);
- commit the first action and re-plan (default), or the whole path with a state-key check before each action;
- the whole tree (nodes, candidates, votes, values, imagined outcomes, restores, budget use) in Plan.tree.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from playwright.async_api import Error as PlaywrightError
from webagent.observers import Observation, ObserveOptions
from webagent.observers.identity import page_seed
from webagent.search.budget import Budget, BudgetedChat, BudgetExhausted, Meter
from webagent.search.cache import Caches, digest
from webagent.search.candidates import Branch, filter_candidates, policy_for, propose, run_fence
from webagent.search.params import BestFirstParams
from webagent.search.snapshot import (
    PathStep,
    Snapshot,
    act_and_observe,
    rebind,
    restore,
    state_key,
    switch_to,
    take_snapshot,
)
from webagent.search.tabpool import TabPool
from webagent.search.value import ValueFunction
from webagent.search.world_model import WorldModel, candidate_crops, imagine, imagine_all

from webagent.actions import Action
from webagent.errors import NavigationError, UnknownElement
from webagent.llm.metered import MeteredChat
from webagent.planner import Plan, PlanContext
from webagent.risk import IRREVERSIBLE, classify
from webagent.server_state import covers

_RISK_ORDER = {"read": 0, "reversible": 1, "irreversible": 2}


@dataclass
class SearchNode:
    id: int
    parent: int | None
    depth: int
    cand: Branch | None = None
    status: str = "pending"  # root | executed | simulated | blocked | merged | stop | failed | error
    value: float | None = None
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    key: str | None = None
    url: str = ""
    snapshot: Snapshot | None = None
    obs: Observation | None = None
    merged_into: int | None = None
    restore: str | None = None
    restore_ms: float = 0.0
    imagined: list[dict[str, Any]] | None = None
    error: str | None = None
    children: list[int] = field(default_factory=list)
    pruned: list[dict[str, Any]] = field(default_factory=list)
    filtered: dict[str, Any] | None = None
    ms: float = 0.0
    step: PathStep | None = None
    server: str | None = None  # token of the servers' state here (server snapshots on)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "parent": self.parent, "depth": self.depth, "status": self.status,
                             "value": None if self.value is None else round(self.value, 3), "key": self.key,
                             "url": self.url, "children": self.children, "ms": round(self.ms, 1)}
        if self.cand is not None:
            d.update({"action": str(self.cand.action), "canonical": self.cand.key, "votes": self.cand.votes,
                      "prior": round(self.cand.prior, 3), "risk": self.cand.risk,
                      "target": self.cand.target.to_dict() if self.cand.target else None})
        for k in ("verdicts", "merged_into", "restore", "imagined", "error", "pruned", "filtered"):
            v = getattr(self, k)
            if v:
                d[k] = v
        if self.restore:
            d["restore_ms"] = round(self.restore_ms, 1)
        return d


class BestFirstPlanner:
    name = "best-first"

    def __init__(self, branching: int = BestFirstParams.branching, depth: int = BestFirstParams.depth,
                 budget: Budget | None = None, samples: int | None = None,
                 value_samples: int = BestFirstParams.value_samples, threshold: float = 0.9,
                 commit: str = BestFirstParams.commit, comparative: bool = False,
                 prior_weight: float = 0.2, depth_penalty: float = 0.01, world_model: WorldModel | None = None,
                 prune_k: int | None = None, confirm: bool = True, seed: int = 0, value_images: bool = False,
                 tabs: int = BestFirstParams.tabs) -> None:
        if commit not in ("first", "path"):
            raise ValueError("commit is 'first' or 'path'")
        self.branching = branching
        self.depth = depth
        self.budget = budget if budget is not None else Budget(nodes=BestFirstParams.budget)
        self.samples = samples or max(2 * branching, 1)
        self.vf = ValueFunction(value_samples, images=value_images)
        self.threshold = threshold
        self.commit = commit
        self.comparative = comparative
        self.prior_weight = prior_weight
        self.depth_penalty = depth_penalty
        self.wm = world_model
        self.prune_k = prune_k
        self.confirm = confirm
        self.tabs = tabs
        self.seed = seed  # each step's search seeds its own generator from it (see BestFirstSearch.rng)
        self.caches = Caches()

    # ------------------------------------------------------------------------------------------------ choose
    async def choose(self, ctx: PlanContext) -> Plan:
        """Search from the current page and commit (see the module doc). All state of this step lives in a
        `BestFirstSearch`, so one planner can serve several episodes at once; only the caches are shared."""
        return await BestFirstSearch(self, ctx).run()

    def params(self) -> dict[str, Any]:
        """The options this planner runs with, as `make_planner(self.name, **params)` takes them back."""
        return asdict(BestFirstParams(branching=self.branching, depth=self.depth, samples=self.samples,
                                      budget=self.budget.nodes, budget_tokens=self.budget.tokens,
                                      budget_seconds=self.budget.seconds, value_samples=self.vf.samples,
                                      commit=self.commit, comparative=self.comparative, tabs=self.tabs))

    @classmethod
    def from_params(cls, p: BestFirstParams) -> BestFirstPlanner:
        return cls(branching=p.branching, depth=p.depth, budget=p.budget_obj(), samples=p.search_samples(),
                   value_samples=p.value_samples, commit=p.commit, comparative=p.comparative, tabs=p.tabs)



class BestFirstSearch:
    """One step's search for a BestFirstPlanner: the tree, the frontier, the transposition table, where the
    browser is, the budget meter. Made per `choose()` call and dropped after it."""

    def __init__(self, planner: BestFirstPlanner, ctx: PlanContext) -> None:
        self.planner = planner
        self.name = planner.name
        # copies for this step, with their own parse counts: another episode may run with other settings
        self.vf, self.wm = planner.vf.fork(), planner.wm.fork() if planner.wm is not None else None
        self.vf.fence = run_fence(ctx)  # the run's fence token reaches the judges' and world model's prompts
        if self.wm is not None:
            self.wm.fence = self.vf.fence
        vision = getattr(ctx.policy, "vision", None)
        if vision is not None and vision.sends_images:  # the run's images setting reaches the judges
            self.vf.vision = vision
            if self.wm is not None:
                self.wm.vision = vision
        # states explored are observed as the agent observes (set-of-marks, dense crop per mode); the plain
        # screenshot only when the judge is sent it
        self._opts = replace(getattr(ctx, "observe", None) or ObserveOptions(),
                             screenshot=self.vf.images == "screenshot")
        metered: MeteredChat = ctx.policy.model
        self._meter = Meter(planner.budget, metered)
        self._model = BudgetedChat(metered, None)  # the root proposal is always made: a step must choose something
        self._ctx = ctx
        self._policy = policy_for(ctx.policy, self._model)
        self._history_text = [h.action + (f" on {h.target}" if h.target else "") for h in ctx.history]
        root = SearchNode(0, None, 0, status="root", key=state_key(ctx.obs), url=ctx.obs.url, obs=ctx.obs)
        self._nodes: list[SearchNode] = [root]
        self._table: dict[str, int] = {root.key: 0}
        self._cur_obs: Observation | None = ctx.obs
        self._cur_key: str | None = root.key
        self._frontier: list[tuple[float, int, int, int, Branch]] = []
        self._seq = itertools.count()
        self._last_restore: tuple[str, float] | None = None
        # the comparative judge's option shuffle: from the planner's seed and this step's page (not its port), so a
        # step draws the same order in every run, whatever other episodes the planner serves at the same time
        self.rng = random.Random(f"{planner.seed}:{ctx.intent}:{page_seed(ctx.obs) if ctx.obs else root.key}")
        # server snapshots: exploration runs every action for real on the covered sites, and the servers go back
        # to a node's state with its browser state; `_cur_server` is the token the servers hold now (None: unknown)
        self._server = ctx.server
        self._cur_server: str | None = None
        self._server_ms = 0.0
        self._cur_id: int | None = 0  # the node the active tab shows (None: unknown)
        self._pool: TabPool | None = None  # live tabs of frontier states (planner.tabs > 0)

    async def run(self) -> Plan:
        t0 = time.perf_counter()
        ctx, session, model, meter = self._ctx, self._ctx.session, self._model, self._meter
        root = self._nodes[0]
        root.snapshot = await take_snapshot(session, ctx.obs)
        cands = await propose(self._policy, ctx.intent, ctx.obs, ctx.history, self.planner.samples, self.planner.branching,
                              ctx.last_error, ctx.notes)
        tree: dict[str, Any] = {"planner": self.name, "params": self.planner.params(),
                                "root": {"url": ctx.obs.url, "key": root.key,
                                         "candidates": [c.to_dict() for c in cands]}}
        no_search = (self.planner.budget.nodes is not None and self.planner.budget.nodes <= 0) or (
            len(cands) == 1 and cands[0].action.verb == "stop")
        if no_search:
            tree["note"] = "budget 0: the top-voted candidate" if len(cands) > 1 or cands[0].action.verb != "stop" \
                else "the only candidate is stop"
            tree["budget"] = meter.to_dict()
            tree["caches"] = self.planner.caches.stats()
            return Plan([cands[0].action], tree=tree, candidates=[c.to_dict() for c in cands])
        model.meter = meter
        if self._server is not None:
            root.server = self._cur_server = await self._server_call(self._server.snapshot())
        writable = list(self._server.origins) if self._server is not None else None
        if self.planner.tabs > 0 and len(session.pages) == 1:  # a state of several tabs is restored, not kept
            self._pool = TabPool(session, self.planner.tabs)
        try:
            try:
                secs = meter.remaining_seconds()
                # no state-changing request while exploring, except to the sites whose state is snapshotted
                async with session.exploring(writable), asyncio.timeout(secs):
                    await self._search(root, cands)
            except TimeoutError:
                meter.stop_reason = "seconds"
            except BudgetExhausted as e:
                meter.stop_reason = e.which
            finally:
                meter.freeze()
            model.meter = None
            plan = await self._commit(root, cands, tree)
        finally:
            if self._pool is not None:
                await self._pool.close()
                tree["tabs"] = dict(self._pool.stats)
            if self._server is not None:
                await self._release_server(tree)
        tree.update({"nodes": [n.to_dict() for n in self._nodes], "budget": meter.to_dict(),
                     "parse": self.vf.stats.to_dict(),
                     "caches": self.planner.caches.stats(), "restores": self._restore_stats(),
                     "ms": round((time.perf_counter() - t0) * 1000, 1)})
        plan.tree = tree
        plan.candidates = [c.to_dict() for c in cands]
        return plan

    async def _server_call(self, aw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await aw
        finally:
            self._server_ms += (time.perf_counter() - t0) * 1000

    async def _server_to(self, token: str | None) -> None:
        """Put the servers in the state of `token` (a no-op when they hold it already)."""
        if self._server is None or token is None:
            return
        await self._server_call(self._server.restore(token))
        self._cur_server = token

    async def _release_server(self, tree: dict[str, Any]) -> None:
        """Discard every token of this search (the servers stay as the commit left them)."""
        tokens = {n.server for n in self._nodes if n.server is not None}
        for t in tokens:
            await self._server_call(self._server.discard(t))
        tree["server_snapshots"] = {"origins": list(self._server.origins), "tokens": len(tokens),
                                    "ms": round(self._server_ms, 1)}

    def _restore_stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for n in self._nodes:
            if n.restore:
                out[n.restore] = out.get(n.restore, 0) + 1
        out["ms"] = round(sum(n.restore_ms for n in self._nodes), 1)
        return out

    # ------------------------------------------------------------------------------------------------ search
    def _priority(self, parent: SearchNode, cand: Branch, base: float | None = None) -> float:
        v = base if base is not None else (parent.value if parent.value is not None else 0.5)
        return v + self.planner.prior_weight * cand.prior - self.planner.depth_penalty * (parent.depth + 1)

    async def _push_children(self, node: SearchNode, cands: list[Branch]) -> None:
        bases: dict[str, float | None] = {}
        if self.wm is not None and self.planner.prune_k is not None and node.obs is not None:
            if getattr(self.planner, "filter", False) and len(cands) > 1:  # the hybrid's self-refine step
                cands, node.filtered = await filter_candidates(self._model, self._ctx.intent, node.obs,
                                                               self._path_text(node), cands, self.vf.stats,
                                                               fence=self.vf.fence)
            # on the root page (where the browser is when the root's children are pushed) the targets are cropped
            crops = await candidate_crops(self._ctx, cands) if node.id == 0 and self.vf.images == "crops" else {}
            ims = await imagine_all(self.wm, self.vf, self._model, self.planner.caches, self._ctx.intent,
                                    self._path_text(node), node.obs, cands, crops)
            by_val = sorted(ims, key=lambda im: (im.value if im.value is not None else -1.0, im.cand.prior),
                            reverse=True)
            safe = [im for im in by_val if im.cand.risk != IRREVERSIBLE]
            keep = {id(im.cand) for im in safe[: self.planner.prune_k]} | {id(im.cand) for im in by_val
                                                                  if im.cand.risk == IRREVERSIBLE}
            for im in ims:
                bases[im.cand.key] = im.value
                if id(im.cand) not in keep:
                    node.pruned.append({**im.cand.to_dict(), "imagined_value": im.value, "imagined": im.outcomes})
            cands = [c for c in cands if id(c) in keep]
        for c in cands:
            prio = self._priority(node, c, bases.get(c.key))
            heapq.heappush(self._frontier, (-prio, node.depth + 1, next(self._seq), node.id, c))

    async def _search(self, root: SearchNode, cands: list[Branch]) -> None:
        await self._push_children(root, cands)
        while self._frontier:
            if not self._meter.nodes_left():
                self._meter.stop_reason = "nodes"
                return
            _, _, _, pid, cand = heapq.heappop(self._frontier)
            batch = [(pid, cand)]
            if self.planner.comparative:
                rest = [e for e in self._frontier if e[3] == pid]
                room = None if self.planner.budget.nodes is None else self.planner.budget.nodes - self._meter.nodes - 1
                rest = sorted(rest)[: room if room is not None else len(rest)]
                for e in rest:
                    self._frontier.remove(e)
                    batch.append((e[3], e[4]))
                heapq.heapify(self._frontier)
            new_nodes = []
            for p, c in batch:
                self._meter.nodes += 1
                try:
                    new_nodes.append(await self._evaluate(self._nodes[p], c, score=not self.planner.comparative))
                except (PlaywrightError, NavigationError) as e:  # the page went away under us: a failed node
                    n = self._nodes[-1] if self._nodes[-1].cand is c else None
                    if n is not None:
                        n.status, n.error = "error", f"browser: {str(e).splitlines()[0]}"
                        new_nodes.append(n)
                    self._cur_key, self._cur_obs, self._cur_id = None, None, None
            if self.planner.comparative:
                await self._compare(self._nodes[pid], new_nodes)
            done = False
            for n in new_nodes:
                if n.value is not None and n.value >= self.planner.threshold:
                    done = True
            if done:
                self._meter.stop_reason = "threshold"
                return
            for n in new_nodes:
                if n.status == "executed" and n.depth < self.planner.depth and n.obs is not None:
                    await self._expand(n)
        self._meter.stop_reason = self._meter.stop_reason or "frontier empty"

    async def _expand(self, node: SearchNode) -> None:
        live = self._cur_key == node.key
        obs = self._cur_obs if live and self._cur_obs is not None else node.obs
        hist = list(self._ctx.history) + self._path_summaries(node)
        cands = await propose(self._policy, self._ctx.intent, obs, hist, self.planner.samples, self.planner.branching)
        node.verdicts.append({"candidates": [c.to_dict() for c in cands]})
        await self._push_children(node, cands)

    def _path_nodes(self, node: SearchNode) -> list[SearchNode]:
        out = []
        while node.parent is not None:
            out.append(node)
            node = self._nodes[node.parent]
        return out[::-1]

    def _path_text(self, node: SearchNode) -> list[str]:
        return self._history_text + [n.cand.label() for n in self._path_nodes(node) if n.cand is not None]

    def _path_summaries(self, node: SearchNode):
        from webagent.policy import StepSummary
        return [StepSummary(str(n.cand.action), f"{n.cand.target.role} '{n.cand.target.name}'"
                            if n.cand.target else "", n.status != "failed", n.error, n.url)
                for n in self._path_nodes(node) if n.cand is not None]

    async def _reach(self, node: SearchNode) -> bool:
        """Bring the browser to `node`'s state (restore, verified; replay on mismatch), and the servers with it:
        their state goes back before the page is reloaded (the page shows it) and again after (what the reload
        itself wrote, e.g. a logged search, is undone)."""
        same_server = self._server is None or self._cur_server == node.server
        if self._cur_key == node.key and self._cur_obs is not None and same_server:
            return True
        assert node.snapshot is not None
        await self._server_to(node.server)
        if self._pool is not None and await self._switch(node):
            return True
        res = await restore(self._ctx.session, node.snapshot, self._nodes[0].snapshot, self._opts,
                            current_key=self._cur_key, secrets=self._ctx.secrets)
        await self._server_to(node.server)
        self._cur_obs, self._cur_key = res.obs, res.key
        self._cur_id = node.id if res.matched else None
        self._last_restore = (res.method, res.ms)
        return res.matched

    def _waiting(self) -> dict[int, float]:
        """node id -> the best priority among its children waiting in the frontier."""
        out: dict[int, float] = {}
        for neg, _, _, pid, _ in self._frontier:
            out[pid] = max(out.get(pid, float("-inf")), -neg)
        return out

    async def _switch(self, node: SearchNode) -> bool:
        """Tab pool: keep the state the active tab shows if children of it wait in the frontier, then switch to
        `node`'s kept tab if there is one (True when it shows `node`). Without one, and when the active tab was
        kept, a blank tab becomes active for the restore."""
        assert self._pool is not None and node.snapshot is not None
        session = self._ctx.session
        old = session.page
        parked = False
        waiting = self._waiting()
        cur = self._cur_id
        if cur is not None and cur in waiting and self._cur_key == self._nodes[cur].key:
            self._pool.reprioritise(waiting)
            parked = await self._pool.park(cur, self._cur_key, waiting[cur])
        kept = self._pool.take(node.id)
        if kept is None:
            if parked:
                await session.blank_tab()
            return False
        t0 = time.perf_counter()
        res = await switch_to(session, kept.page, node.snapshot, self._opts, self._ctx.secrets)
        if not parked and old is not kept.page:
            await old.close()
        self._pool.stats["switches"] += 1
        self._cur_obs, self._cur_key = res.obs, res.key
        self._cur_id = node.id if res.matched else None
        self._last_restore = (res.method, (time.perf_counter() - t0) * 1000)
        return res.method == "tab"

    async def _value(self, node: SearchNode, obs: Observation, **kw: Any) -> float | None:
        intent = self._ctx.intent
        ckey = digest(intent, node.key if kw.get("proposed") is None else f"{node.key}>{kw['proposed']}",
                      kw.get("answer"))
        cached = self.planner.caches.get("values", ckey)
        if cached is not None:
            node.verdicts.append({"cached": cached})
            return cached
        v = await self.vf.score(self._model, intent, self._path_text(node) if kw.get("answer") is None
                                else self._path_text(self._nodes[node.parent]), obs, **kw)
        node.verdicts.append(v.to_dict())
        value = v.value
        if value is not None and value >= self.planner.threshold and self.planner.confirm:
            v2 = await self.vf.score(self._model, intent, self._path_text(node) if kw.get("answer") is None
                                     else self._path_text(self._nodes[node.parent]), obs, **kw)
            node.verdicts.append({"confirm": v2.to_dict()})
            vals = [x for x in (v.value, v2.value) if x is not None]
            value = sum(vals) / len(vals)
        if value is not None:
            self.planner.caches.put("values", ckey, value)
        return value

    async def _simulate(self, node: SearchNode, parent: SearchNode, obs: Observation, cand: Branch) -> None:
        node.status = node.status if node.status == "blocked" else "simulated"
        if self.wm is not None:
            im = await imagine(self.wm, self.vf, self._model, self.planner.caches, self._ctx.intent,
                               self._path_text(parent), obs, cand)
            node.imagined = im.outcomes
            node.value = im.value
            node.verdicts.append({"imagined_values": im.values, "cached": im.cached})
        else:
            node.key = parent.key
            node.value = await self._value(node, obs, proposed=cand.label())

    async def _evaluate(self, parent: SearchNode, cand: Branch, score: bool = True) -> SearchNode:
        t0 = time.perf_counter()
        node = SearchNode(len(self._nodes), parent.id, parent.depth + 1, cand)
        self._nodes.append(node)
        parent.children.append(node.id)
        session = self._ctx.session
        try:
            if cand.action.verb == "stop":
                node.status, node.key, node.url = "stop", parent.key, parent.url
                ikey = digest(self._ctx.intent, parent.key, cand.key)
                cached = self.planner.caches.get("imagined", ikey)
                if cached is not None:
                    node.value = cached
                elif score:
                    node.value = await self._value(node, parent.obs or self._cur_obs, answer=cand.action.text or "")
                return node
            self._last_restore = None
            if not await self._reach(parent):
                node.status, node.error = "error", "the parent state could not be restored"
                self._note_restore(node)
                return node
            self._note_restore(node)
            obs = self._cur_obs
            try:
                action = rebind(cand.action, obs, cand.target)
            except UnknownElement as e:
                node.status, node.error, node.value = "failed", str(e), 0.0
                return node
            risk, reason = await classify(action, obs)
            if _RISK_ORDER[risk] > _RISK_ORDER.get(cand.risk, 0):
                cand.risk, cand.risk_reason = risk, reason
            if cand.risk == IRREVERSIBLE and not covers(self._server, obs.url):
                await self._simulate(node, parent, obs, cand)
                return node
            blocked = len(session.blocked_requests)
            self._cur_server = None  # the action may write: the servers hold no token's state any more
            self._cur_id = None
            result, after = await act_and_observe(session, obs, action, self._opts, self._ctx.secrets)
            self._cur_obs, self._cur_key = after, state_key(after)
            node.url = after.url
            if len(session.blocked_requests) > blocked:
                node.status = "blocked"
                node.error = f"blocked while exploring: {session.blocked_requests[-1]}"
                cand.risk, cand.risk_reason = IRREVERSIBLE, "sent a non-GET request"
                self._cur_key = None  # the page is in no state we know
                await self._simulate(node, parent, obs, cand)
                return node
            if not result.ok:
                node.status, node.error, node.value, node.key = "failed", result.error, 0.0, self._cur_key
                return node
            node.key = self._cur_key
            node.step = PathStep(action, cand.target)
            if node.key in self._table:
                other = self._nodes[self._table[node.key]]
                node.status, node.merged_into = "merged", other.id
                node.value = other.value if other.id != 0 else None
                if node.value is None and score:
                    node.value = await self._value(node, after)
                return node
            self._table[node.key] = node.id
            node.status = "executed"
            node.obs = after
            self._cur_id = node.id
            if self._server is not None:
                node.server = self._cur_server = await self._server_call(self._server.snapshot())
            node.snapshot = await take_snapshot(session, after, (parent.snapshot.path if parent.snapshot else [])
                                                + [PathStep(action, cand.target)])
            if score:
                node.value = await self._value(node, after)
            return node
        finally:
            node.ms = (time.perf_counter() - t0) * 1000

    def _note_restore(self, node: SearchNode) -> None:
        if self._last_restore is not None:
            node.restore, node.restore_ms = self._last_restore

    async def _compare(self, parent: SearchNode, nodes: list[SearchNode]) -> None:
        """Comparative mode: one call scores all the new children; the absolute judge confirms a finisher."""
        todo = [n for n in nodes if n.value is None and n.status in ("executed", "merged", "stop")]
        if not todo:
            return
        options = []
        for n in todo:
            o: dict[str, Any] = {"action": n.cand.label() if n.cand else ""}
            if n.status == "stop":
                o["imagined"] = {"summary": f"the agent stops and answers: {n.cand.action.text!r}"}
            else:
                src = n.obs or (self._nodes[n.merged_into].obs if n.merged_into is not None else None)
                o["url"], o["page"], o["obs"] = n.url, src.text if src is not None else "", src
            options.append(o)
        verdicts = await self.vf.compare(self._model, self._ctx.intent, self._path_text(parent),
                                         parent.obs or self._cur_obs, options, self.rng)
        for n, v in zip(todo, verdicts, strict=True):
            n.verdicts.append({"comparative": v.to_dict()})
            n.value = v.value
            if n.value is not None and n.value >= self.planner.threshold:
                obs = n.obs if n.status != "stop" else (parent.obs or self._cur_obs)
                kw = {"answer": n.cand.action.text or ""} if n.status == "stop" else {}
                n.value = await self._value(n, obs, **kw)

    # ------------------------------------------------------------------------------------------------ commit
    def _best(self) -> SearchNode | None:
        ok = {"executed": 3, "stop": 3, "simulated": 3, "merged": 2, "blocked": 2, "failed": 0, "error": 0}
        scored = [n for n in self._nodes[1:] if n.value is not None or n.status in ("failed",)]
        if not scored:
            return None

        def rank(n: SearchNode) -> tuple:
            first = self._path_nodes(n)[0]
            status = ok.get(n.status, 1)
            if n.status == "stop" and (n.value or 0.0) < self.planner.threshold:
                status = 1  # an unconvincing stop loses a tie to any action that keeps the task open
            return (n.value if n.value is not None else -1.0, status, -n.depth,
                    first.cand.prior if first.cand else 0.0, -n.id)
        return max(scored, key=rank)

    async def _replan(self, root: SearchNode, obs: Observation, tree: dict[str, Any]) -> Plan:
        """The root could not be restored (the page came back as another state): what the search chose belongs to
        a page the agent is not on, so choose again from the real page, without search (the budget is spent)."""
        tree["replanned"] = {"reason": "the search root could not be restored: the page is not the one searched",
                             "root_key": root.key, "real_key": state_key(obs), "url": obs.url}
        cands = await propose(self._policy, self._ctx.intent, obs, self._ctx.history, self.planner.samples,
                              self.planner.branching, self._ctx.last_error, self._ctx.notes)
        tree["replanned"]["candidates"] = [c.to_dict() for c in cands]
        return Plan([cands[0].action], observation=obs)

    async def _commit(self, root: SearchNode, cands: list[Branch], tree: dict[str, Any]) -> Plan:
        best = self._best()
        path = self._path_nodes(best) if best is not None else []
        if not path:
            path_cands = [cands[0]]
            tree["best"] = None
        else:
            path_cands = [n.cand for n in path if n.cand is not None]
            tree["best"] = {"node": best.id, "value": best.value, "path": [str(c.action) for c in path_cands]}
        commit_obs = None
        if self._pool is not None:
            await self._pool.release_active()
        if self._cur_key != root.key or self._cur_obs is not self._ctx.obs or self._cur_server != root.server:
            await self._server_to(root.server)
            kept = self._pool.take(0) if self._pool is not None else None
            if kept is not None:  # the root's own tab, kept: back to it without a load
                old = self._ctx.session.page
                res = await switch_to(self._ctx.session, kept.page, root.snapshot, self._opts, self._ctx.secrets)
                if old is not kept.page:
                    await old.close()
                tree["final_restore"] = {"method": res.method, "ms": round(res.ms, 1)}
                self._cur_key = res.key
                if res.method == "tab":
                    commit_obs = res.obs
            if commit_obs is None:
                for attempt in range(2):
                    try:
                        res = await restore(self._ctx.session, root.snapshot, root.snapshot, self._opts,
                                            current_key=self._cur_key if attempt == 0 else None,
                                            secrets=self._ctx.secrets)
                    except (PlaywrightError, NavigationError) as e:
                        tree["final_restore_error"] = str(e).splitlines()[0]
                        continue
                    tree["final_restore"] = {"method": res.method, "ms": round(res.ms, 1)}
                    commit_obs = res.obs
                    if res.matched or attempt == 1:
                        break
                    # another state: once more from scratch (a page still settling on a loaded machine), then re-plan
                else:
                    await self._ctx.session.goto(root.url)
                    commit_obs = await self._ctx.session.observe(self._opts)
            # the servers exactly as before the search (what the root's reload wrote is undone too)
            await self._server_to(root.server)
            if state_key(commit_obs) != root.key:
                return await self._replan(root, commit_obs, tree)
        first = path_cands[0]
        action: Action = first.action
        if commit_obs is not None:
            try:
                action = rebind(first.action, commit_obs, first.target)
            except UnknownElement as e:
                tree["commit_error"] = str(e)
                action = Action("goto", url=root.url)
        plan = Plan([action], observation=commit_obs)
        if self.planner.commit == "path" and len(path) > 1:
            actions, targets, expected = [action], [first.target], [state_key(commit_obs or self._ctx.obs)]
            for prev, n in zip(path, path[1:], strict=False):
                if prev.status != "executed" or prev.key is None:
                    break
                actions.append(n.cand.action)
                targets.append(n.cand.target)
                expected.append(prev.key)
            plan.actions, plan.targets, plan.expected = actions, targets, expected
        return plan
