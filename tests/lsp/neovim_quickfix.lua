-- A real editor, headless: Neovim (0.7 API) starts `celery-patterns lsp`, opens a file,
-- waits for the diagnostics, asks for the code actions of the CEL002 one, applies the
-- preferred quick fix (resolving its edit first, as the server defers it) and writes the file.
--
-- Run by test_neovim.py:  nvim --headless --clean -n -i NONE -S neovim_quickfix.lua
-- Environment: CP_FILE (the file to open), CP_ROOT (workspace root), CP_SERVER (JSON list:
-- the server command), CP_RESULT (where to write the JSON outcome).
-- Results go to a file because nvim prints "written" on stdout; failure exits with `cquit 1`.

local outcome = { steps = {} }

local function finish(ok, message)
  outcome.ok = ok
  outcome.message = message
  local handle = io.open(vim.env.CP_RESULT, "w")
  handle:write(vim.fn.json_encode(outcome))
  handle:close()
  vim.cmd(ok and "qall!" or "cquit 1")
end

local function step(name)
  table.insert(outcome.steps, name)
end

local ok, err = pcall(function()
  local published = {}
  local client_id = vim.lsp.start_client({
    name = "celery-patterns",
    cmd = vim.fn.json_decode(vim.env.CP_SERVER),
    root_dir = vim.env.CP_ROOT,
    handlers = {
      ["textDocument/publishDiagnostics"] = function(e, result, ctx, config)
        table.insert(published, result)
        return vim.lsp.handlers["textDocument/publishDiagnostics"](e, result, ctx, config)
      end,
    },
  })
  assert(client_id, "the language server did not start")
  step("started")

  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.CP_FILE))
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client_id)

  local function cel002()
    local last = published[#published]
    for _, d in ipairs(last and last.diagnostics or {}) do
      if d.code == "CEL002" then
        return d
      end
    end
  end

  assert(vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 and cel002() ~= nil end, 50),
    "no CEL002 diagnostic arrived")
  local diagnostic = cel002()
  outcome.diagnostic = diagnostic
  outcome.codes = vim.tbl_map(function(d) return d.code end, published[#published].diagnostics)
  step("diagnostics")

  local client = vim.lsp.get_client_by_id(client_id)
  local response = client.request_sync("textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = diagnostic.range,
    context = { diagnostics = { diagnostic } },
  }, 20000, buf)
  assert(response and response.result, "no code actions: " .. vim.inspect(response))
  outcome.titles = vim.tbl_map(function(a) return a.title end, response.result)
  local action
  for _, candidate in ipairs(response.result) do
    if candidate.kind == "quickfix" and candidate.isPreferred then
      action = candidate
      break
    end
  end
  assert(action, "no preferred quick fix among " .. vim.inspect(outcome.titles))
  step("code action")

  if not action.edit then
    local resolved = client.request_sync("codeAction/resolve", action, 30000, buf)
    assert(resolved and resolved.result and resolved.result.edit, "resolve gave no edit: " .. vim.inspect(resolved))
    action = resolved.result
    step("resolved")
  end
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  vim.cmd("write")
  step("written")

  -- The server sees the change and the finding goes away.
  assert(vim.wait(20000, function() return cel002() == nil end, 50), "CEL002 still reported after the fix")
  step("rechecked")
end)

finish(ok, ok and "done" or tostring(err))
