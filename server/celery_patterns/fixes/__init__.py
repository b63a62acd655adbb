"""Writing fixes: a rule's fix is a list of text edits over the source.

- `context`: `FixContext`, the source parsed with libcst one chunk at a time; node
  replacements become edits (`ctx.replace`).
- `imports`: add an import where a reader expects it, remove a name keeping its comments.
- `statements`: statements as libcst nodes (insert before, bind an expression before its
  statement, open a suite, add a constant).
- `text`: code written as text (lines, indentation, quotes).
- `comments`: comments inside libcst nodes.
- `lazy`: libcst, imported on first use (a check never needs it).
"""
