;;; emacs_eglot.el --- Emacs + eglot, batch, with the set-up of docs/editors/emacs.md  -*- lexical-binding: t -*-
;;
;; Run by test_emacs_eglot.py:  emacs --batch -l emacs_eglot.el
;; Environment: CP_SETUP and CP_FIX_ON_SAVE (the page's two snippets, as files), CP_FILE and
;; CP_LINE / CP_COLUMN (a file and the 1-based position of its CEL002 finding), CP_SAVED (a
;; file to fix on save), CP_RESULT (where the JSON outcome goes).
;;
;; 1. Open CP_FILE, wait for the diagnostics, run `eglot-code-actions' at the finding and
;;    pick the quick fix by its title, as a user does at the prompt; save.
;; 2. Load the fix-on-save snippet, open CP_SAVED (same project: same server) and save it.

(require 'package)
(package-initialize)
(require 'cl-lib)
(require 'json)
(require 'eglot)

(defvar cp-outcome (list (cons 'steps nil)))
(defvar cp-timeout 30)

(defun cp-step (name)
  (push name (alist-get 'steps cp-outcome))
  (message "step: %s" name))

(defun cp-set (key value)
  (setf (alist-get key cp-outcome) value))

(defun cp-finish (ok message)
  (cp-set 'ok (if ok t :json-false))
  (cp-set 'message message)
  (cp-set 'steps (vconcat (reverse (alist-get 'steps cp-outcome))))
  (with-temp-file (getenv "CP_RESULT")
    (insert (json-encode cp-outcome)))
  (kill-emacs (if ok 0 1)))

(defun cp-wait (what predicate)
  "Let the server talk until PREDICATE holds; fail after `cp-timeout' seconds."
  (let ((deadline (+ (float-time) cp-timeout)))
    (while (not (funcall predicate))
      (when (> (float-time) deadline)
        (error "Timed out waiting for %s" what))
      (accept-process-output nil 0.05))))

(defun cp-codes ()
  "The codes of the buffer's eglot diagnostics."
  (cl-loop for diag in (flymake-diagnostics)
           for lsp = (cdr (assoc 'eglot-lsp-diag (eglot--diag-data diag)))
           when lsp collect (plist-get lsp :code)))

(defun cp-open (file)
  (find-file file)
  ;; `eglot-ensure' connects when the command that opened the file ends, and flymake waits
  ;; for the buffer to be shown: batch mode has neither a command loop nor a redisplay.
  (run-hooks 'post-command-hook)
  (cp-wait "eglot to manage the buffer" #'eglot-managed-p)
  (run-hooks 'window-configuration-change-hook))

(condition-case err
    (progn
      (load (getenv "CP_SETUP") nil t)
      (cp-step "configured")
      (cp-open (getenv "CP_FILE"))
      (cp-step "connected")
      (cp-wait "a CEL002 diagnostic" (lambda () (member "CEL002" (cp-codes))))
      (cp-set 'codes (vconcat (cp-codes)))
      (cp-step "diagnostics")

      (goto-char (point-min))
      (forward-line (1- (string-to-number (getenv "CP_LINE"))))
      (forward-char (1- (string-to-number (getenv "CP_COLUMN"))))
      (let ((offered nil)
            ;; Not a mouse event: eglot prompts with `completing-read', not a popup menu.
            (last-nonmenu-event ?\C-m))
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (_prompt collection &rest _)
                     (setq offered (mapcar #'car collection))
                     (or (cl-find-if (lambda (title) (string-prefix-p "Replace with" title)) offered)
                         (error "No quick fix among %S" offered)))))
          (eglot-code-actions (point) nil nil t))
        (cp-set 'titles (vconcat offered)))
      (cp-step "code action")
      (save-buffer)
      (cp-step "saved")
      (cp-wait "CEL002 to go away" (lambda () (not (member "CEL002" (cp-codes)))))
      (cp-step "rechecked")

      (load (getenv "CP_FIX_ON_SAVE") nil t)
      (cp-open (getenv "CP_SAVED"))
      (cp-wait "a CEL002 diagnostic in the second file" (lambda () (member "CEL002" (cp-codes))))
      (set-buffer-modified-p t)  ; an unmodified buffer is not written
      (save-buffer)
      (cp-step "fixed on save")
      (cp-set 'servers (apply #'+ (mapcar #'length (hash-table-values eglot--servers-by-project))))
      (cp-finish t "done"))
  (error
   (let ((server (ignore-errors (eglot-current-server))))
     (when server  ; the last of the LSP traffic says what went wrong
       (with-current-buffer (jsonrpc-events-buffer server)
         (cp-set 'events (buffer-substring-no-properties (max (point-min) (- (point-max) 4000)) (point-max))))))
   (cp-finish nil (error-message-string err))))
