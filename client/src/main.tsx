import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { SessionController } from "./session.js";
// uPlot's stylesheet, bundled statically (CSP style-src 'self': nothing is injected at run time).
import "uplot/dist/uPlot.min.css";
import "./styles.css";

const session = new SessionController();
const container = document.getElementById("root");
if (!container) throw new Error("#root is missing from index.html");

createRoot(container).render(
  <StrictMode>
    <App session={session} />
  </StrictMode>,
);
void session.init();
