-- Neovim's built-in LSP client attached to `wfcheck server`, headless: opens the file given
-- on the command line, waits for wfcheck's diagnostics, prints one line per diagnostic
-- (`CODE line:col-line:col message`, 1-based, as Neovim holds them) and quits.
--
--   nvim --headless --clean -c "luafile scripts/nvim_lsp_demo.lua" path/to/workflow.py
--
-- Environment: WFCHECK_SERVER_CMD (default `wfcheck server`), WFCHECK_DEMO_TIMEOUT_MS
-- (default 20000). Exits 0 when diagnostics arrived, 1 when none did in time.
-- Works with Neovim 0.7 and later (`vim.lsp.start_client`).

local cmd = vim.split(os.getenv("WFCHECK_SERVER_CMD") or "wfcheck server", " ", { trimempty = true })
local timeout = tonumber(os.getenv("WFCHECK_DEMO_TIMEOUT_MS") or "20000")
local bufnr = vim.api.nvim_get_current_buf()
local file = vim.api.nvim_buf_get_name(bufnr)

local client_id = vim.lsp.start_client({
  name = "wfcheck",
  cmd = cmd,
  root_dir = vim.fn.fnamemodify(file, ":p:h"),
})
if not client_id then
  io.stderr:write("could not start: " .. table.concat(cmd, " ") .. "\n")
  vim.cmd("cquit 1")
end
vim.lsp.buf_attach_client(bufnr, client_id)

local arrived = vim.wait(timeout, function()
  return #vim.diagnostic.get(bufnr) > 0
end, 50)

for _, d in ipairs(vim.diagnostic.get(bufnr)) do
  local first_line = vim.split(d.message, "\n")[1]
  io.stdout:write(string.format("%s %d:%d-%d:%d %s\n", d.code or "?", d.lnum + 1, d.col + 1,
    d.end_lnum + 1, d.end_col + 1, first_line))
end
io.stdout:flush()

vim.lsp.stop_client(client_id)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd(arrived and "qall!" or "cquit 1")
