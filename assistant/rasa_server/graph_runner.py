"""``PlannedGraphRunner``: Rasa's predict graph, run in an order computed once per target.

Rasa 3.6's ``DaskGraphRunner`` prunes the graph schema and hands it to dask's scheduler on
every run: twice per message (NLU, then each policy prediction). Dask's bookkeeping and the
pruning were about a tenth of the Rasa server's CPU. The graph never changes once the model
is loaded, so this runner works out, once per list of targets, which nodes are needed and in
which order (dependencies first), then calls them in that order. Each node receives the same
arguments as under dask: the ``(name, value)`` pairs of the nodes and inputs it needs, or the
bare name of one nobody provides (``GraphNode`` warns about those).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner

Step = Tuple[Text, GraphNode, Tuple[Text, ...]]


class PlannedGraphRunner(DaskGraphRunner):
    """A ``DaskGraphRunner`` (same construction) that runs without dask."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Text, ...], List[Step]] = {}

    def _plan(self, targets: Tuple[Text, ...]) -> List[Step]:
        plan = self._plans.get(targets)
        if plan is not None:
            return plan
        schema = self._graph_schema.minimal_graph_schema(list(targets))
        plan = []
        placed: set[Text] = set()

        def place(name: Text, path: Tuple[Text, ...]) -> None:
            if name in placed or name not in schema.nodes:
                return  # done already, or an input placeholder
            if name in path:
                raise GraphRunError(f"The graph has a cycle through node '{name}'.")
            needs = tuple(schema.nodes[name].needs.values())
            for need in needs:
                place(need, (*path, name))
            placed.add(name)
            plan.append((name, self._instantiated_nodes[name], needs))

        for target in targets:
            place(target, ())
        self._plans[targets] = plan
        return plan

    def run(
        self,
        inputs: Optional[Dict[Text, Any]] = None,
        targets: Optional[List[Text]] = None,
    ) -> Dict[Text, Any]:
        """Runs the graph (see ``GraphRunner.run``): the needed nodes, in plan order."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        plan = self._plan(run_targets)
        values: Dict[Text, Any] = {}
        for input_name, input_value in (inputs or {}).items():
            if isinstance(input_value, str) and (
                input_value in values or any(name == input_value for name, _, _ in plan)
            ):
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            values[input_name] = (input_name, input_value)
        try:
            for name, node, needs in plan:
                values[name] = node(*(values.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(values[target] for target in run_targets)
