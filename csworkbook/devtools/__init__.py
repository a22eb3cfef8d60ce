"""Maintainers' tools: notebook commit checks (:mod:`.nbcheck`) and README's generated
sections (:mod:`.readme`). Nothing here is needed to use the workbook."""
