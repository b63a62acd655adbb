-- Neovim 0.7 with the set-up of docs/editors/neovim.md (the snippets are sourced as they are
-- on the page): open three Python files of one project and one of another, record which
-- client each buffer got, then write the first file, which has a CEL002 finding (the
-- fix-on-save autocommand applies the fixes).
--
-- Run by test_neovim_setup.py. Environment: CP_SNIPPETS (JSON list of Lua files to source),
-- CP_FILES (JSON list: the project's files, the finding's first), CP_OTHER (a file of another
-- project), CP_RESULT (where the JSON outcome goes: nvim prints "written" on stdout).

local outcome = { steps = {} }

local function finish(ok, message)
  outcome.ok = ok
  outcome.message = message
  local handle = io.open(vim.env.CP_RESULT, "w")
  handle:write(vim.fn.json_encode(outcome))
  handle:close()
  vim.cmd(ok and "qall!" or "cquit 1")
end

local function client_ids(buf)
  local ids = {}
  for id, _ in pairs(vim.lsp.buf_get_clients(buf)) do
    table.insert(ids, id)
  end
  return ids
end

local ok, err = pcall(function()
  for _, path in ipairs(vim.fn.json_decode(vim.env.CP_SNIPPETS)) do
    vim.cmd("source " .. vim.fn.fnameescape(path))
  end
  table.insert(outcome.steps, "configured")

  -- Opened one after the other without waiting, as a session restore does.
  local buffers = {}
  for _, file in ipairs(vim.fn.json_decode(vim.env.CP_FILES)) do
    vim.cmd("edit " .. vim.fn.fnameescape(file))
    table.insert(buffers, vim.api.nvim_get_current_buf())
  end
  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.CP_OTHER))
  local other = vim.api.nvim_get_current_buf()
  table.insert(outcome.steps, "opened")

  local first = buffers[1]
  assert(vim.wait(30000, function()
    for _, d in ipairs(vim.diagnostic.get(first)) do
      if d.code == "CEL002" then
        return true
      end
    end
    return false
  end, 50), "no CEL002 diagnostic in the first file")
  table.insert(outcome.steps, "diagnostics")
  -- The other project's server starts on its own: on a busy machine it may attach later.
  vim.wait(30000, function()
    return #client_ids(other) > 0
  end, 50)

  outcome.project_clients = vim.tbl_map(client_ids, buffers)
  outcome.other_clients = client_ids(other)
  outcome.running = {}
  for _, client in ipairs(vim.lsp.get_active_clients()) do
    table.insert(outcome.running, { id = client.id, name = client.name, root = client.config.root_dir })
  end

  vim.api.nvim_set_current_buf(first)
  vim.cmd("write")
  table.insert(outcome.steps, "written")
end)

finish(ok, ok and "done" or tostring(err))
