// spinscope workbench: review controls. On an article page, each finding of the panels gets
// Confirm, Reject and (where a field can be changed) Edit; selecting words of the article offers
// to add a technique or a quote; a Review panel lists the article's corrections and takes notes.
// On the review queue (/review), the keyboard works through the findings. Every write is a
// correction sent to the REST API (POST /api/v1/articles/ID/corrections).
"use strict";
(function () {
  var me = document.currentScript;
  var config = JSON.parse(me.getAttribute("data-config"));

  function token() {
    var field = document.getElementById("token");
    var value = field && field.value ? field.value : sessionStorage.getItem("spinscope-token");
    if (field && field.value) { sessionStorage.setItem("spinscope-token", field.value); }
    return value || "";
  }

  function say(message, bad) {
    var status = document.getElementById("review-status");
    if (status) {
      status.textContent = message;
      status.classList.toggle("error", Boolean(bad));
    }
  }

  function send(api, correction) {
    var headers = {"Content-Type": "application/json"};
    if (config.token) {
      if (!token()) {
        say("Give your reviewer token first.", true);
        return Promise.reject(new Error("no token"));
      }
      headers.Authorization = "Bearer " + token();
    }
    return fetch(api + "/corrections", {method: "POST", headers: headers, body: JSON.stringify(correction)})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { say(body.error || ("HTTP " + response.status), true); throw new Error(body.error); }
          return body;
        });
      });
  }

  function button(label, title, action) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "review-button";
    element.textContent = label;
    element.title = title;
    element.addEventListener("click", function (event) { event.stopPropagation(); action(element); });
    return element;
  }

  // -- the article page ---------------------------------------------------------------------

  function article() {
    var analysis = JSON.parse(document.getElementById(config.analysis).textContent);
    var text = analysis.article.text;
    var style = document.createElement("style");
    style.textContent =
      ".review-bar{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin-top:4px;font-size:12px}" +
      ".review-button{font:inherit;font-size:11px;border:1px solid #cbd5e1;background:#f8fafc;border-radius:4px;padding:0 6px;cursor:pointer}" +
      ".review-badge{border-radius:4px;padding:0 6px;font-weight:700;font-size:11px;background:#dcfce7;color:#166534}" +
      ".review-badge.rejected{background:#fee2e2;color:#991b1b}.review-badge.disagrees{background:#fef3c7;color:#92400e}" +
      ".item.rejected{opacity:.6}.item.rejected .item-text,.article .rejected{text-decoration:line-through}" +
      ".review-edit{display:flex;flex-wrap:wrap;gap:4px;width:100%}.review-choices{flex-direction:column}.review-choices label{font-weight:400}.review-edit input,.review-edit select{flex:1;font:inherit;font-size:12px}" +
      "#review-add{position:absolute;z-index:20;background:#fff;border:1px solid #94a3b8;border-radius:8px;padding:8px;box-shadow:0 4px 16px rgba(0,0,0,.15);display:flex;flex-direction:column;gap:4px;font-size:12px}" +
      "#review-add[hidden]{display:none}#review-add select,#review-add input{font:inherit;font-size:12px}" +
      "#review-panel textarea{width:100%;font:inherit}#review-metadata label{display:block;font-size:12px}#review-metadata input{width:100%}#review-panel li{font-size:12px}.error{color:#991b1b}";
    document.head.appendChild(style);

    document.querySelectorAll("aside li.item[data-target]").forEach(function (item) {
      var found = /^([a-z])([0-9]+)$/.exec(item.dataset.target);
      var spec = found && config.kinds[found[1]];
      var held = spec ? analysis[spec.field] : null;  // a list, or one finding (the genre)
      var list = Array.isArray(held) ? held : held ? [held] : [];
      var finding = list[Number(found && found[2])];
      if (!finding) { return; }
      item.appendChild(controls(item, spec.kind, finding));
      if (finding.review && finding.review.status === "rejected") {
        item.classList.add("rejected");
        document.querySelectorAll('#article [data-ann~="' + item.dataset.target + '"]').forEach(function (segment) {
          segment.classList.add("rejected");
        });
      }
    });
    panel();
    adder(text);
  }

  function controls(item, kind, finding) {
    var bar = document.createElement("div");
    bar.className = "review-bar";
    bar.addEventListener("click", function (event) { event.stopPropagation(); });
    var review = finding.review;
    if (review) {
      var badge = document.createElement("span");
      badge.className = "review-badge " + review.status;
      badge.textContent = review.status + " by " + review.reviewer;
      badge.title = (review.note ? review.note + " · " : "") + review.at;
      bar.appendChild(badge);
      if (!review.model_agrees) {
        var flag = document.createElement("span");
        flag.className = "review-badge disagrees";
        flag.textContent = "model disagrees";
        flag.title = "The model of this analysis does not find what the reviewer decided";
        bar.appendChild(flag);
      }
    }
    function decide(action) {
      return function () {
        send(config.api, {kind: kind, action: action, finding: finding}).then(function () { location.reload(); });
      };
    }
    bar.appendChild(button("✓ Confirm", "Confirm this " + kind, decide("confirm")));
    bar.appendChild(button("✗ Reject", "Reject this " + kind, decide("reject")));
    bar.appendChild(button("✍ Note", "Keep a note on this " + kind, function (noteButton) {
      noteButton.disabled = true;
      var text = document.createElement("input");
      text.name = "finding-note";
      text.placeholder = "a note on this " + kind;
      bar.appendChild(form(text, "Save note", function (value) {
        if (!value.trim()) { say("Write the note first.", true); return; }
        send(config.api, {kind: kind, action: "note", finding: finding, note: value.trim()})
          .then(function () { location.reload(); });
      }));
    }));
    var editor = EDITORS[kind];
    if (editor) {
      bar.appendChild(button("✎ Edit", "Correct this " + kind, function (edit) {
        edit.disabled = true;
        bar.appendChild(editor(finding, function (replacement) {
          send(config.api, {kind: kind, action: "edit", finding: finding, replacement: replacement})
            .then(function () { location.reload(); });
        }));
      }));
    }
    return bar;
  }

  function form(field, label, submit) {
    var wrap = document.createElement("div");
    wrap.className = "review-edit";
    wrap.appendChild(field);
    wrap.appendChild(button(label, label, function () { submit(field.value); }));
    field.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); submit(field.value); }
    });
    setTimeout(function () { field.focus(); }, 0);
    return wrap;
  }

  function select(values, chosen, name) {
    var element = document.createElement("select");
    element.name = name;
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value.replace(/_/g, " ");
      option.selected = value === chosen;
      element.appendChild(option);
    });
    return element;
  }

  function checkboxes(values, checked, done) {
    var wrap = document.createElement("div");
    wrap.className = "review-edit review-choices";
    values.forEach(function (value) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.value = value;
      box.checked = checked.indexOf(value) >= 0;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + value));
      wrap.appendChild(label);
    });
    wrap.appendChild(button("Save", "Save the choice", function () {
      done(Array.prototype.filter.call(wrap.querySelectorAll("input"), function (box) {
        return box.checked;
      }).map(function (box) { return box.value; }));
    }));
    return wrap;
  }

  // What an edit of each kind changes: one field, chosen or typed (a span that is cut wrong
  // is rejected, and the right words selected and added).
  var EDITORS = {
    quote: function (finding, done) {
      var input = document.createElement("input");
      input.name = "speaker";
      input.value = finding.speaker_entity || (finding.speaker && finding.speaker.text) || "";
      input.placeholder = "who said it";
      var cue = select(config.cues, finding.cue_class, "cue-class");
      cue.title = "how the reporting cue frames the quote";
      var wrap = form(input, "Save speaker", function (value) {
        done({speaker_entity: value.trim() || null, cue_class: cue.value});
      });
      wrap.insertBefore(cue, wrap.lastChild);
      return wrap;
    },
    technique: function (finding, done) {
      var names = Object.keys(config.groups).sort();
      return form(select(names, finding.technique, "technique"), "Save technique", function (value) {
        done({technique: value, group: config.groups[value]});
      });
    },
    claim: function (finding, done) {
      var kind = select(["named", "vague", "none"], finding.source.kind, "source-kind");
      var who = document.createElement("input");
      who.name = "source";
      who.placeholder = "who the claim is attributed to";
      who.value = finding.source.entity || (finding.source.span && finding.source.span.text) || "";
      var wrap = form(who, "Save source", function (value) {
        var named = kind.value !== "none";
        done({source: {kind: kind.value, span: null, entity: named ? value.trim() || null : null}});
      });
      wrap.insertBefore(kind, who);
      return wrap;
    },
    narrative: function (finding, done) {
      var subs = (config.narratives[finding.narrative] || []).map(function (sub) {
        return finding.narrative + ": " + sub;
      });
      return checkboxes(subs, finding.subnarratives, function (chosen) { done({subnarratives: chosen}); });
    },
    genre: function (finding, done) {
      return form(select(config.genres, finding.genre, "genre"), "Save genre", function (value) {
        done({genre: value});
      });
    },
    frame: function (finding, done) {
      return form(select(config.frames, finding.frame, "frame"), "Save frame", function (value) {
        done({frame: value});
      });
    },
    entity: function (finding, done) {
      var fine = finding.role && finding.role.fine.length ? finding.role.fine[0] : null;
      var roles = Object.keys(config.roles).sort(function (a, b) {
        return (config.roles[a] + a).localeCompare(config.roles[b] + b);
      });
      var choice = select(roles, fine, "role");
      Array.prototype.forEach.call(choice.options, function (option) {
        option.textContent = config.roles[option.value] + ": " + option.textContent;
      });
      return form(choice, "Save role", function (value) {
        done({role: {main: config.roles[value], fine: [value]}});
      });
    }
  };

  function panel() {
    var aside = document.querySelector("aside.panels");
    var section = document.createElement("section");
    section.className = "panel";
    section.id = "review-panel";
    section.innerHTML =
      '<h2>Review <small>corrections and notes</small></h2>' +
      (config.token ? '<label>Reviewer token <input type="password" id="token" autocomplete="off"></label>' : "") +
      '<p id="review-status" class="empty" role="status">Confirm, reject or edit a finding below; select words of the article to add one.</p>' +
      '<ul id="review-history"></ul>' +
      '<textarea id="review-note" rows="2" placeholder="A note on this article"></textarea>';
    section.appendChild(button("Add note", "Keep this note with the article", function () {
      var note = document.getElementById("review-note").value.trim();
      if (!note) { say("Write the note first.", true); return; }
      send(config.api, {kind: "article", action: "note", note: note}).then(function () { location.reload(); });
    }));
    section.appendChild(metadata());
    var after = aside.querySelector(".jump");
    aside.insertBefore(section, after ? after.nextSibling : aside.firstChild);
    var stored = sessionStorage.getItem("spinscope-token");
    if (stored && document.getElementById("token")) { document.getElementById("token").value = stored; }
    fetch(config.api + "/corrections").then(function (r) { return r.json(); }).then(function (list) {
      var history = document.getElementById("review-history");
      list.forEach(function (c) {
        var li = document.createElement("li");
        li.textContent = c.at.slice(0, 16).replace("T", " ") + " · " + c.reviewer + " · " +
          (c.kind === "article" ? "note" : c.action + " " + c.kind) + (c.note ? ": " + c.note : "");
        history.appendChild(li);
      });
    });
  }

  // The article's title, outlet, date, author and URL, changed in place (PATCH).
  function metadata() {
    var article = JSON.parse(document.getElementById(config.analysis).textContent).article;
    var details = document.createElement("details");
    details.id = "review-metadata";
    var summary = document.createElement("summary");
    summary.textContent = "Article details";
    details.appendChild(summary);
    var fields = {title: "Title", outlet: "Outlet", published: "Published", author: "Author", url: "URL"};
    Object.keys(fields).forEach(function (name) {
      var label = document.createElement("label");
      label.textContent = fields[name] + " ";
      var input = document.createElement("input");
      input.name = "meta-" + name;
      input.value = article[name] || "";
      if (name === "published") { input.placeholder = "YYYY-MM-DD"; }
      label.appendChild(input);
      details.appendChild(label);
    });
    details.appendChild(button("Save details", "Change the article's details", function () {
      var changes = {};
      Object.keys(fields).forEach(function (name) {
        var value = details.querySelector("input[name=meta-" + name + "]").value.trim();
        if (value !== (article[name] || "")) { changes[name] = value || null; }
      });
      var headers = {"Content-Type": "application/json"};
      if (config.token) { headers.Authorization = "Bearer " + token(); }
      fetch(config.api, {method: "PATCH", headers: headers, body: JSON.stringify(changes)})
        .then(function (response) {
          if (response.ok) { location.reload(); return; }
          return response.json().then(function (body) { say(body.error, true); });
        });
    }));
    return details;
  }

  // The character offsets of the selection in the article's text (null when it is elsewhere).
  function selected() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) { return null; }
    var range = selection.getRangeAt(0), root = document.getElementById("article");
    if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) { return null; }
    function offset(container, at) {
      var before = document.createRange();
      before.setStart(root, 0);
      before.setEnd(container, at);
      return before.toString().length;
    }
    var start = offset(range.startContainer, range.startOffset);
    var end = offset(range.endContainer, range.endOffset);
    return end > start ? {start: start, end: end} : null;
  }

  function adder(text) {
    var box = document.createElement("div");
    box.id = "review-add";
    box.hidden = true;
    var label = document.createElement("b");
    var names = Object.keys(config.groups).sort();
    var technique = select(names, "Loaded_Language", "add-technique");
    var speaker = document.createElement("input");
    speaker.name = "add-speaker";
    speaker.placeholder = "speaker of a quote";
    var span = null;
    box.appendChild(label);
    box.appendChild(technique);
    box.appendChild(button("Add technique", "Add this span as a persuasion technique", function () {
      send(config.api, {kind: "technique", action: "add", replacement: {
        technique: technique.value, group: config.groups[technique.value],
        start: span.start, end: span.end, text: text.slice(span.start, span.end)
      }}).then(function () { location.reload(); });
    }));
    box.appendChild(speaker);
    box.appendChild(button("Add quote", "Add this span as a quote of the speaker", function () {
      var words = text.slice(span.start, span.end);
      send(config.api, {kind: "quote", action: "add", replacement: {
        kind: /^\s*["“‘']/.test(words) ? "direct" : "indirect",
        content: [{start: span.start, end: span.end, text: words}],
        speaker_entity: speaker.value.trim() || null
      }}).then(function () { location.reload(); });
    }));
    document.body.appendChild(box);
    document.getElementById("article").addEventListener("mouseup", function () {
      setTimeout(function () {
        span = selected();
        if (!span) { box.hidden = true; return; }
        var words = text.slice(span.start, span.end);
        label.textContent = "“" + (words.length > 60 ? words.slice(0, 57) + "…" : words) + "”";
        var rect = window.getSelection().getRangeAt(0).getBoundingClientRect();
        box.style.left = (window.scrollX + rect.left) + "px";
        box.style.top = (window.scrollY + rect.bottom + 6) + "px";
        box.hidden = false;
      }, 0);
    });
    document.addEventListener("mousedown", function (event) {
      if (!box.contains(event.target)) { box.hidden = true; }
    });
  }

  // -- the review queue ---------------------------------------------------------------------

  function queue() {
    var items = Array.prototype.slice.call(document.querySelectorAll(".queue-item"));
    var at = 0;
    if (config.token) { document.getElementById("review-token").hidden = false; }
    function move(to) {
      if (!items.length) { return; }
      at = Math.max(0, Math.min(items.length - 1, to));
      items.forEach(function (item, i) { item.classList.toggle("current", i === at); });
      items[at].focus();
      items[at].scrollIntoView({block: "nearest"});
    }
    function decide(action) {
      var item = items[at];
      if (!item || item.classList.contains("done")) { return; }
      var api = "/api/v1/articles/" + encodeURIComponent(item.dataset.article);
      fetch(api).then(function (r) { return r.json(); }).then(function (analysis) {
        var finding = analysis[item.dataset.field][Number(item.dataset.index)];
        return send(api, {kind: item.dataset.kind, action: action, finding: finding});
      }).then(function (kept) {
        item.classList.add("done");
        var decided = item.querySelector(".decided");
        decided.textContent = (action === "confirm" ? "✓ confirmed" : "✗ rejected") + " by " + kept.reviewer;
        decided.hidden = false;
        say("");
        move(at + 1);
      });
    }
    items.forEach(function (item, i) {
      item.addEventListener("click", function () { move(i); });
    });
    document.addEventListener("keydown", function (event) {
      if (event.target.matches("input, textarea, select")) { return; }
      var key = event.key;
      if (key === "j" || key === "ArrowDown") { move(at + 1); }
      else if (key === "k" || key === "ArrowUp") { move(at - 1); }
      else if (key === "c") { decide("confirm"); }
      else if (key === "x") { decide("reject"); }
      else if (key === "o" && items[at]) { location.href = items[at].dataset.href; }
      else { return; }
      event.preventDefault();
    });
    move(0);
  }

  if (config.queue) { queue(); } else { article(); }
})();
