-- A real editor, headless: Neovim (0.7 API) starts `celery-patterns lsp` on a workspace of two
-- services, opens a file of the one that dispatches by name, waits for the server to index the
-- workspace's Celery tasks ($/progress), puts the cursor on a task-name string and calls
-- `vim.lsp.buf.definition()`, Neovim's own "go to definition" (what `gd` is usually mapped to).
-- It must open the worker's file at the task's `def`.
--
-- Run by test_neovim_navigation.py:  nvim --headless --clean -n -i NONE -S neovim_definition.lua
-- Environment: CP_FILE (the file to open), CP_ROOT (workspace root), CP_SERVER (JSON list: the
-- server command), CP_NAME (the task-name string to put the cursor on, quotes included),
-- CP_RESULT (where to write the JSON outcome).
-- Results go to a file because nvim prints "written" on stdout; failure exits with `cquit 1`.

local outcome = { steps = {}, ms = {} }
local started = vim.loop.hrtime()

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
  table.insert(outcome.ms, math.floor((vim.loop.hrtime() - started) / 1e6))
end

local ok, err = pcall(function()
  local indexing = {} -- token -> "begin" / "end", for the progress titled "Indexing Celery tasks"
  local client_id = vim.lsp.start_client({
    name = "celery-patterns",
    cmd = vim.fn.json_decode(vim.env.CP_SERVER),
    root_dir = vim.env.CP_ROOT,
    handlers = {
      ["$/progress"] = function(e, result, ctx, config)
        local value = result and result.value or {}
        if value.kind == "begin" and value.title == "Indexing Celery tasks" then
          indexing[result.token] = "begin"
        elseif value.kind == "end" and indexing[result.token] then
          indexing[result.token] = "end"
          outcome.indexed = value.message
        end
        return vim.lsp.handlers["$/progress"](e, result, ctx, config)
      end,
    },
  })
  assert(client_id, "the language server did not start")
  step("started")

  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.CP_FILE))
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client_id)
  outcome.from = vim.api.nvim_buf_get_name(buf)

  -- Indexing ends with an `end` progress (Neovim 0.7 announces window.workDoneProgress).
  assert(vim.wait(30000, function()
    for _, state in pairs(indexing) do
      if state == "end" then
        return true
      end
    end
    return false
  end, 50), "the server never ended its 'Indexing Celery tasks' progress")
  step("indexed")

  -- The cursor inside the task-name string, on its first letter after the quote.
  local needle = vim.env.CP_NAME
  local found = vim.fn.search("\\V" .. vim.fn.escape(needle, "\\"), "cw")
  assert(found > 0, "no " .. needle .. " in " .. outcome.from)
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  vim.api.nvim_win_set_cursor(0, { row, col + 1 })
  outcome.cursor_from = { row, col + 1 }
  step("cursor")

  vim.lsp.buf.definition()
  assert(vim.wait(15000, function()
    return vim.api.nvim_get_current_buf() ~= buf
  end, 50), "vim.lsp.buf.definition() did not open another buffer")
  step("jumped")

  local now = vim.api.nvim_get_current_buf()
  outcome.buffer = vim.api.nvim_buf_get_name(now)
  local line, column = unpack(vim.api.nvim_win_get_cursor(0))
  outcome.line = line -- 1-based
  outcome.column = column -- 0-based byte
  outcome.text = vim.api.nvim_buf_get_lines(now, line - 1, line, false)[1]
  outcome.attached = vim.lsp.buf_is_attached(now, client_id)
end)

finish(ok, ok and "done" or tostring(err))
