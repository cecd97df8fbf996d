"""Control-flow graph of one function and the immediate post-dominator of each branch.

A diverged warp reconverges at the immediate post-dominator of the branch
that split it (as GPGPU-Sim does). Blocks that end in ``exit`` flow to a
virtual exit node; a branch whose post-dominator is only that node never
reconverges (``PC_NEVER``): its lanes leave one by one.
"""
from __future__ import annotations


def immediate_post_dominators(n: int, successors: dict[int, list[int]], exits: set[int],
                              branch_pcs: list[int]) -> dict[int, int]:
    """Map each branch pc to the pc where its paths meet again (-1: never).

    ``successors[pc]`` lists the pcs an instruction can flow to; ``exits`` are
    the pcs that leave the function. Works at instruction granularity on the
    reverse graph with the iterative dataflow algorithm (Cooper, Harvey and
    Kennedy, "A Simple, Fast Dominance Algorithm", 2001).
    """
    virtual_exit = n
    preds_of_reverse: dict[int, list[int]] = {pc: [] for pc in range(n + 1)}  # successors in original graph
    for pc in range(n):
        succ = list(successors.get(pc, []))
        if pc in exits:
            succ.append(virtual_exit)
        preds_of_reverse[pc] = succ

    # reverse post-order of the reverse graph, starting at the virtual exit
    reverse_edges: dict[int, list[int]] = {pc: [] for pc in range(n + 1)}
    for pc, succ in preds_of_reverse.items():
        for s in succ:
            reverse_edges[s].append(pc)
    order: list[int] = []
    seen = {virtual_exit}
    stack = [(virtual_exit, iter(reverse_edges[virtual_exit]))]
    while stack:
        node, it = stack[-1]
        child = next(it, None)
        if child is None:
            order.append(node)
            stack.pop()
        elif child not in seen:
            seen.add(child)
            stack.append((child, iter(reverse_edges[child])))
    order.reverse()
    index = {node: i for i, node in enumerate(order)}

    ipdom = {virtual_exit: virtual_exit}

    def intersect(a: int, b: int) -> int:
        while a != b:
            while index[a] > index[b]:
                a = ipdom[a]
            while index[b] > index[a]:
                b = ipdom[b]
        return a

    changed = True
    while changed:
        changed = False
        for node in order:
            if node == virtual_exit:
                continue
            candidates = [s for s in preds_of_reverse[node] if s in ipdom]
            if not candidates:
                continue
            new = candidates[0]
            for other in candidates[1:]:
                new = intersect(other, new)
            if ipdom.get(node) != new:
                ipdom[node] = new
                changed = True

    result = {}
    for pc in branch_pcs:
        p = ipdom.get(pc, virtual_exit)
        result[pc] = -1 if p == virtual_exit else p
    return result
