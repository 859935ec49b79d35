"""Digests of a round: on demand (`/digest`) and scheduled when a round closes.

`model` decides what a digest says and `render` how it looks (both pure); `options` reads the
coordinator's words; `assemble` loads a round and builds it; `on_demand`, `delivery` and
`withdrawal` hand the results to the coordinator or the outbox.
"""
