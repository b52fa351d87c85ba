// The step-through page's controls. Every text and number comes from the JSON that
// tinygrad_bp.viz.steps computed from the engine; this script only shows them.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("steps-data").textContent);
  var nodes = data.nodes, steps = data.steps, last = steps.length - 1;
  var graph = document.getElementById("graph");
  var svg = graph.querySelector("svg");
  var slider = document.getElementById("slider");
  var playButton = document.getElementById("play");
  var speed = document.getElementById("speed");
  var stepText = document.getElementById("step-text");
  var counter = document.getElementById("counter");
  var groups = [], views = [], operations = [], edgeGroups = [];
  svg.querySelectorAll("g.node[data-index]").forEach(function (g) {
    groups[+g.getAttribute("data-index")] = g;
  });
  // Every drawing of each Value: its record, and the copies drawn beside distant uses.
  groups.forEach(function (g, i) { views[i] = [g]; });
  svg.querySelectorAll("g.node[data-copy-of]").forEach(function (g) {
    views[+g.getAttribute("data-copy-of")].push(g);
  });
  svg.querySelectorAll("g.node[data-op]").forEach(function (g) {
    operations[+g.getAttribute("data-op")] = g;
  });
  svg.querySelectorAll("g.edge[data-edge]").forEach(function (g) {
    edgeGroups[+g.getAttribute("data-edge")] = g;
  });
  var current = 0, timer = null, marked = [], note = null;

  // What every node shows after step k: replay the steps' effects from the start.
  function stateAt(k) {
    var state = nodes.map(function (n) {
      return { value: n.leaf ? n.value : "", grad: "", partial: false };
    });
    for (var i = 1; i <= k; i++) {
      var s = steps[i];
      if (s.kind === "forward") { state[s.node].value = s.value; }
      else if (s.kind === "seed") { state[s.node].grad = s.grad; }
      else if (s.kind === "edge") { state[s.to].grad = s.grad; state[s.to].partial = !s.complete; }
    }
    return state;
  }

  function paint(state) {
    state.forEach(function (shown, i) {
      (views[i] || []).forEach(function (g) {
        if (g.getAttribute("data-value") !== shown.value) {
          g.setAttribute("data-value", shown.value);
          setText(g.querySelector("text.value"), "data", shown.value);
        }
        if (g.getAttribute("data-grad") !== shown.grad) {
          g.setAttribute("data-grad", shown.grad);
          setText(g.querySelector("text.grad"), "grad", shown.grad);
        }
        g.classList.toggle("partial", shown.partial);
      });
    });
    // An edge's local derivative is known once the operation it leads into is computed.
    svg.querySelectorAll("g.edge[data-to]").forEach(function (e) {
      e.classList.toggle("unknown", state[+e.getAttribute("data-to")].value === "");
    });
  }

  function setText(element, field, value) {
    element.textContent = field + " " + (value === "" ? "?" : value);
    element.classList.toggle("pending", value === "");
  }

  function mark(element, name) {
    if (element) { element.classList.add(name); marked.push([element, name]); }
  }

  function markValue(i, name) {
    (views[i] || []).forEach(function (g) { mark(g, name); });
  }

  function highlight(s) {
    marked.forEach(function (m) { m[0].classList.remove(m[1]); });
    marked = [];
    if (note) { note.remove(); note = null; }
    if (s.kind === "forward") {
      markValue(s.node, "current");
      mark(operations[s.node], "current");
      s.operands.forEach(function (p) { markValue(p, "operand"); });
      svg.querySelectorAll('g.edge[data-to="' + s.node + '"]').forEach(function (e) {
        mark(e, "forward");
      });
    } else if (s.kind === "seed") {
      markValue(s.node, "current");
    } else if (s.kind === "edge") {
      markValue(s.from, "current");
      mark(operations[s.from], "current");
      markValue(s.to, "operand");
      mark(edgeGroups[s.edge], "active");
      showNote(edgeGroups[s.edge], s.note);
    }
    var focus = groups[s.kind === "edge" ? s.to : s.node];
    if (focus && graph.classList.contains("zoomed")) {
      focus.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }

  // The product on the active edge, at the middle of its curve.
  function showNote(edge, text) {
    var path = edge && edge.querySelector("path");
    if (!path) { return; }
    var middle = path.getPointAtLength(path.getTotalLength() / 2);
    var ns = "http://www.w3.org/2000/svg";
    note = document.createElementNS(ns, "g");
    note.setAttribute("id", "edge-note");
    var box = document.createElementNS(ns, "rect");
    var label = document.createElementNS(ns, "text");
    label.setAttribute("text-anchor", "middle");
    label.setAttribute("x", middle.x);
    label.setAttribute("y", middle.y - 8);
    label.textContent = text;
    note.appendChild(box);
    note.appendChild(label);
    path.ownerSVGElement.querySelector("g.graph").appendChild(note);
    var size = label.getBBox();
    box.setAttribute("x", size.x - 3);
    box.setAttribute("y", size.y - 1);
    box.setAttribute("width", size.width + 6);
    box.setAttribute("height", size.height + 2);
    box.setAttribute("rx", 3);
  }

  function describe(k) {
    var kind = steps[k].kind;
    var where = kind === "start" ? "start" : kind === "forward" ? "forward pass"
      : k === last ? "backward pass, end" : "backward pass";
    return "step " + k + " of " + last + " (" + where + ")";
  }

  function show(k, fromHash) {
    current = Math.max(0, Math.min(last, k));
    paint(stateAt(current));
    highlight(steps[current]);
    stepText.textContent = steps[current].text;
    slider.value = current;
    counter.textContent = describe(current);
    if (!fromHash) {
      try { history.replaceState(null, "", "#step=" + current); } catch (e) { /* srcdoc */ }
    }
    if (current === last) { pause(); }
  }

  function fromFragment() {
    var match = /^#step=(\d+|end)$/.exec(location.hash);
    if (!match) { return 0; }
    return match[1] === "end" ? last : parseInt(match[1], 10);
  }

  function play() {
    if (current === last) { show(0); }
    playButton.textContent = "\u23F8 pause";
    timer = setInterval(function () { show(current + 1); }, 1000 / +speed.value);
  }

  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.textContent = "\u25B6 play";
  }

  function toggle() { if (timer === null) { play(); } else { pause(); } }

  function details(i) {
    var n = nodes[i];
    groups.forEach(function (g) { if (g) { g.classList.remove("selected"); } });
    groups[i].classList.add("selected");
    document.getElementById("details-title").textContent = n.name;
    document.getElementById("details-values").textContent = n.full;
    document.getElementById("chain-rule").textContent = n.chain;
    document.getElementById("numerical-check").textContent = n.check;
    document.getElementById("details").hidden = false;
  }

  function closeDetails() {
    document.getElementById("details").hidden = true;
    groups.forEach(function (g) { if (g) { g.classList.remove("selected"); } });
  }

  document.getElementById("first").addEventListener("click", function () { pause(); show(0); });
  document.getElementById("prev").addEventListener("click", function () {
    pause(); show(current - 1);
  });
  document.getElementById("next").addEventListener("click", function () {
    pause(); show(current + 1);
  });
  document.getElementById("last").addEventListener("click", function () { pause(); show(last); });
  playButton.addEventListener("click", toggle);
  document.getElementById("close").addEventListener("click", closeDetails);
  speed.addEventListener("change", function () { if (timer !== null) { pause(); play(); } });
  slider.addEventListener("input", function () { pause(); show(+slider.value); });
  // Zoom: "fit" scales the picture to the window; + and − scale it by 1.25 from what is shown.
  function zoom(factor) {
    var box = svg.getBoundingClientRect(), view = svg.viewBox.baseVal;
    var drawn = Math.min(box.width, box.height * view.width / view.height);
    var width = factor === null ? null : drawn * factor;
    graph.classList.toggle("zoomed", width !== null);
    svg.setAttribute("width", width === null ? "100%" : Math.round(width));
    if (width !== null) { highlight(steps[current]); }
  }
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(0.8); });
  document.getElementById("zoom-fit").addEventListener("click", function () { zoom(null); });
  views.forEach(function (drawn, i) {
    drawn.forEach(function (g) { g.addEventListener("click", function () { details(i); }); });
  });
  document.addEventListener("keydown", function (event) {
    if (event.target === speed || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var keys = {
      ArrowRight: function () { pause(); show(current + 1); },
      ArrowLeft: function () { pause(); show(current - 1); },
      Home: function () { pause(); show(0); },
      End: function () { pause(); show(last); },
      " ": toggle,
      "+": function () { zoom(1.25); },
      "=": function () { zoom(1.25); },
      "-": function () { zoom(0.8); },
      "0": function () { zoom(null); }
    };
    if (event.key === "Escape") {
      closeDetails();
    } else if (event.key === "Enter" && event.target.hasAttribute("data-label")) {
      var target = event.target;
      details(+(target.getAttribute("data-index") || target.getAttribute("data-copy-of")));
    } else if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });
  window.addEventListener("hashchange", function () { pause(); show(fromFragment(), true); });

  slider.max = last;
  show(fromFragment(), true);
}());
