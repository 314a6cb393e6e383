//! The teachers' workflow in a real browser (headless Chromium through chromedriver): a teacher logs in,
//! writes a bilingual item, sees the live Markdown preview, saves and submits it; a second teacher
//! approves it; a candidate finds it by search and sees it, without its key.
//!
//! Without chromedriver the test says so and passes — unless TIKU_REQUIRE_BROWSER=1 (set by CI).

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tiku::domain::user::Role;

use super::helpers::{Db, fixture_bank, spawn_app};

fn required() -> bool {
    std::env::var("TIKU_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver on a free local port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(program: &PathBuf) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        // Its own process group, so that dropping the driver also ends the Chromium it started, even
        // when a test panics.
        let child = Command::new(program)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The shell's own `kill`: procps-ng 4.0.2's /usr/bin/kill (Debian 12) can take `-PGID` for
        // `-1` and kill every process there is.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -s KILL -- -{}", self.child.id()))
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Chromium session: a desktop window, or a phone's screen (390 × 844 CSS pixels, touch).
async fn browser(driver: &Driver, profile: &std::path::Path, phone: bool) -> Client {
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"])
        .unwrap_or_else(|| panic!("chromedriver is installed but no Chromium"));
    let mut caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                if phone { "--window-size=390,844" } else { "--window-size=1280,2000" },
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    if phone {
        caps["goog:chromeOptions"]["mobileEmulation"] = json!({
            "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "mobile": true, "touch": true}
        });
    }
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap_or_else(|e| panic!("cannot open a browser session: {e}"))
}

async fn css(c: &Client, selector: &str) -> fantoccini::elements::Element {
    let found = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(selector))
        .await;
    match found {
        Ok(e) => e,
        Err(e) => panic!(
            "no `{selector}` on {:?}: {e}\n{}",
            c.current_url().await.ok(),
            c.source().await.unwrap_or_default()
        ),
    }
}

async fn type_into(c: &Client, selector: &str, text: &str) {
    css(c, selector)
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into `{selector}`: {e}"));
}

async fn click(c: &Client, selector: &str) {
    css(c, selector)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking `{selector}`: {e}"));
}

async fn source(c: &Client) -> String {
    c.source().await.unwrap_or_else(|e| panic!("{e}"))
}

async fn path(c: &Client) -> String {
    c.current_url()
        .await
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Waits until the page's path satisfies `ok`.
async fn wait_for_path(c: &Client, ok: impl Fn(&str) -> bool, what: &str) -> String {
    let started = Instant::now();
    loop {
        let p = path(c).await;
        if ok(&p) {
            return p;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: still on {p}: {}",
            source(c).await
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page's source contains `needle` (for forms that post back to the page they are on,
/// where the path alone cannot tell the old page from the new one).
async fn wait_for_text(c: &Client, needle: &str, what: &str) -> String {
    let started = Instant::now();
    loop {
        let page = source(c).await;
        if page.contains(needle) {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: no `{needle}` on {}: {page}",
            path(c).await
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn log_in(c: &Client, base: &str, login: &str, password: &str) {
    c.goto(&format!("{base}/login"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    type_into(c, "input[name=login]", login).await;
    type_into(c, "input[name=password]", password).await;
    click(c, "main form button[type=submit]").await;
    wait_for_path(c, |p| p != "/login", "logging in").await;
}

async fn log_out(c: &Client) {
    click(c, "form[action='/logout'] button").await;
    wait_for_path(c, |p| p == "/" || p == "/login", "logging out").await;
}

#[actix_web::test]
async fn a_teacher_writes_an_item_a_colleague_approves_it_and_a_candidate_finds_it() {
    let Some(chromedriver) = find_program(&["chromedriver"]) else {
        assert!(
            !required(),
            "TIKU_REQUIRE_BROWSER=1 but chromedriver is not installed"
        );
        eprintln!("chromedriver not found: the browser test is skipped");
        return;
    };
    let app = spawn_app(Db::Sqlite, Some(&fixture_bank())).await;
    app.add_user(Role::Teacher, "wang", "wang-password");
    app.add_user(Role::Teacher, "li", "li-password");
    app.add_user(Role::Candidate, "student@example.com", "student-password");
    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let c = browser(&driver, profile.path(), false).await;
    let base = app.address.clone();

    // A teacher writes a bilingual single-choice item.
    log_in(&c, &base, "wang", "wang-password").await;
    c.goto(&format!("{base}/teach/items/new?kind=single"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    css(&c, "select[name=subject]")
        .await
        .select_by_value("A")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    css(&c, "select[name=primary_tag]")
        .await
        .select_by_value("T3.1")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.execute(
        "document.querySelectorAll('details').forEach(function (d) { d.open = true; });",
        vec![],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    click(&c, "input[name=rules][value='Incoterms 2020']").await;
    type_into(&c, "textarea[name=sources]", "Incoterms 2020, FCA A2/B2").await;
    type_into(
        &c,
        "textarea[name='q.stem_zh']",
        "按照《2020通则》，FCA术语下**卖方在其营业场所交货**时，由谁负责把货物装上买方安排的运输工具？",
    )
    .await;
    type_into(
        &c,
        "textarea[name='q.stem_en']",
        "Under Incoterms 2020 FCA, when the seller **delivers at its own premises**, who loads the goods onto the buyer's means of transport?",
    )
    .await;
    for (i, zh, en) in [
        (0, "卖方", "The seller"),
        (1, "买方", "The buyer"),
        (2, "买方指定的承运人", "The carrier nominated by the buyer"),
    ] {
        type_into(&c, &format!("input[name='q.o{i}.zh']"), zh).await;
        type_into(&c, &format!("input[name='q.o{i}.en']"), en).await;
    }
    click(&c, "input[name='q.answer'][value='a']").await;
    type_into(
        &c,
        "textarea[name='q.expl_zh']",
        "FCA A2：交货地点为卖方营业场所时，卖方须把货物装上买方安排的运输工具；在其他地点交货时，卖方不负责卸货。买方和承运人都不是此时的装货义务人。",
    )
    .await;
    type_into(
        &c,
        "textarea[name='q.expl_en']",
        "FCA A2: at the seller's premises, delivery is complete when the goods are loaded onto the buyer's means of transport, so the seller loads; elsewhere the seller need not unload. Neither the buyer nor the carrier carries that duty here.",
    )
    .await;
    // The live preview renders the Markdown (server-side, sanitised) as the teacher types.
    let preview = css(&c, ".live-preview strong").await;
    let bold = preview.text().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        bold == "卖方在其营业场所交货" || bold == "delivers at its own premises",
        "{bold}"
    );
    click(&c, "button[name=op][value=save]").await;
    let item_path = wait_for_path(
        &c,
        |p| p.starts_with("/teach/items/") && !p.ends_with("/new"),
        "saving",
    )
    .await;
    let id = item_path.trim_start_matches("/teach/items/").to_owned();
    assert!(id.starts_with("T3.1-"), "{id}");
    assert!(source(&c).await.contains("status-draft"));

    // Submitted for review; the author cannot approve it.
    click(&c, "form[action$='/workflow'] button").await;
    let page = wait_for_text(&c, "status-in_review", "submitting").await;
    assert!(!page.contains("value=\"approve\""), "no self-approval");
    log_out(&c).await;

    // A second teacher approves it from the review queue.
    log_in(&c, &base, "li", "li-password").await;
    c.goto(&format!("{base}/teach"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&c, &format!("a[href='/teach/items/{id}']")).await;
    click(&c, "form:has(input[name=op][value=approve]) button").await;
    wait_for_text(&c, "status-published", "approving").await;
    assert_eq!(path(&c).await, item_path);
    log_out(&c).await;

    // A candidate finds it by search (the index follows within a second) and sees it without its key.
    log_in(&c, &base, "student@example.com", "student-password").await;
    let started = Instant::now();
    loop {
        c.goto(&format!("{base}/search?q=营业场所"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if source(&c).await.contains(&format!("href=\"/items/{id}\"")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the approved item is not found by search"
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    click(&c, &format!("a[href='/items/{id}']")).await;
    wait_for_path(&c, |p| p == format!("/items/{id}"), "opening the item").await;
    let page = source(&c).await;
    assert!(page.contains("卖方在其营业场所交货"), "{page}");
    assert!(page.contains("The carrier nominated by the buyer"));
    assert!(
        !page.contains("FCA A2："),
        "no explanation before answering"
    );
    assert!(!page.contains("✔"), "no key before answering");
    c.close().await.unwrap_or_else(|e| panic!("{e}"));
}

/// Fails when the page is wider than the screen (a phone would have to scroll sideways).
async fn fits_the_screen(c: &Client, what: &str) {
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (scroll, width) = (v[0].as_f64().unwrap_or(0.0), v[1].as_f64().unwrap_or(0.0));
    if scroll > width + 1.0 {
        // Name the elements that stick out, to say what to fix.
        let wide = c
            .execute(
                "return Array.from(document.querySelectorAll('body *'))                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)                   .slice(0, 8)                   .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ': ' + (e.textContent || '').slice(0, 60));",
                vec![],
            )
            .await
            .unwrap_or_default();
        panic!("{what}: the page is {scroll} px wide on a {width} px screen: {wide}");
    }
}

/// Registers, has the fee confirmed by an admin, practises, sits a mock with a reload in the middle,
/// submits and sees the result — on a desktop window or a phone's screen.
async fn candidate_journey(phone: bool, n: u32) {
    let Some(chromedriver) = find_program(&["chromedriver"]) else {
        assert!(
            !required(),
            "TIKU_REQUIRE_BROWSER=1 but chromedriver is not installed"
        );
        eprintln!("chromedriver not found: the browser test is skipped");
        return;
    };
    let bank = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let app = spawn_app(Db::Sqlite, Some(&bank)).await;
    app.add_user(Role::Admin, "root", "admin-password");
    let admin = super::helpers::bearer(&app.login("root", "admin-password").await);
    super::candidates::open_sitting(&app, &admin, "test-1").await;
    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let c = browser(&driver, profile.path(), phone).await;
    let base = app.address.clone();
    let goto = |path: String| {
        let c = &c;
        async move {
            c.goto(&path)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"))
        }
    };

    // Registration with the ID photo.
    let photo = profile.path().join("photo.png");
    std::fs::write(&photo, super::candidates::photo()).unwrap_or_else(|e| panic!("{e}"));
    goto(format!("{base}/register")).await;
    if phone {
        fits_the_screen(&c, "register").await;
    }
    let email = format!("cand{n}@example.com");
    type_into(&c, "input[name=name]", "李华").await;
    type_into(
        &c,
        "input[name=id_number]",
        &super::candidates::id_number(n),
    )
    .await;
    type_into(&c, "input[name=phone]", &format!("1380013{n:04}")).await;
    type_into(&c, "input[name=email]", &email).await;
    type_into(&c, "input[name=password]", "practise-2026").await;
    type_into(&c, "input[name=photo]", &photo.display().to_string()).await;
    click(&c, "main form button[type=submit]").await;
    wait_for_path(&c, |p| p == "/me", "registering").await;
    if phone {
        fits_the_screen(&c, "me").await;
    }
    click(&c, "form:has(input[name=sitting][value='test-1']) button").await;
    wait_for_text(
        &c,
        "ord-",
        "registering for the sitting (the order is shown)",
    )
    .await;
    log_out(&c).await;

    // An admin confirms the payment.
    log_in(&c, &base, "root", "admin-password").await;
    goto(format!("{base}/admin")).await;
    click(&c, "form[action^='/admin/candidates/'] button").await;
    wait_for_text(&c, "role=\"status\">", "confirming").await;
    log_out(&c).await;

    // The candidate practises.
    log_in(&c, &base, &email, "practise-2026").await;
    goto(format!("{base}/practice")).await;
    if phone {
        fits_the_screen(&c, "practice").await;
    }
    click(&c, "main form button[type=submit]").await;
    wait_for_path(&c, |p| p.starts_with("/practice/"), "starting practice").await;
    if phone {
        fits_the_screen(&c, "practice item").await;
    }
    let page = source(&c).await;
    if page.contains("type=\"radio\" name=\"a:") {
        click(&c, "form.answer-form input[type=radio]").await;
    } else if page.contains("type=\"checkbox\" name=\"a:") {
        click(&c, "form.answer-form input[type=checkbox]").await;
    } else if page.contains("<textarea name=\"a:") {
        type_into(&c, "form.answer-form textarea", "Dear Sir, thank you.").await;
    } else {
        type_into(&c, "form.answer-form input[name^='a:']", "1").await;
    }
    click(&c, "form.answer-form button[type=submit]").await;
    css(&c, "article.feedback").await;

    // A mock: answers saved as given, a reload in the middle keeps them and the clock.
    goto(format!("{base}/mocks")).await;
    click(&c, "input[name=blueprint][value=A]").await;
    click(&c, "main form button[type=submit]").await;
    let sitting = wait_for_path(&c, |p| p.starts_with("/mocks/att-"), "starting the mock").await;
    if phone {
        fits_the_screen(&c, "mock").await;
    }
    let radios = c
        .find_all(Locator::Css("fieldset.answer input[type=radio]"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut clicked = 0;
    for r in radios.iter().step_by(4).take(3) {
        r.click().await.unwrap_or_else(|e| panic!("{e}"));
        clicked += 1;
    }
    let t0 = Instant::now();
    loop {
        let saved = c
            .find_all(Locator::Css(".save-state.saved"))
            .await
            .map_or(0, |v| v.len());
        if saved >= clicked {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "answers not saved by the page"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let clock = css(&c, "#clock").await.text().await.unwrap_or_default();
    c.refresh().await.unwrap_or_else(|e| panic!("{e}"));
    wait_for_path(&c, |p| p == sitting, "reloading").await;
    let checked = c
        .find_all(Locator::Css("fieldset.answer input[type=radio]:checked"))
        .await
        .map_or(0, |v| v.len());
    assert_eq!(checked, clicked, "the saved answers survive the reload");
    let after = css(&c, "#clock").await.text().await.unwrap_or_default();
    assert!(
        after.starts_with("1:2") || after.starts_with("1:3"),
        "{clock} then {after}"
    );
    click(&c, "button[name=op][value=submit]").await;
    wait_for_path(&c, |p| p.ends_with("/result"), "submitting").await;
    if phone {
        fits_the_screen(&c, "result").await;
    }
    let page = source(&c).await;
    assert!(page.contains("score-card"), "{page}");

    // The dashboard: mastery tree, weakest points, predicted result, progress — on any screen.
    goto(format!("{base}/me/progress")).await;
    css(&c, "svg.chart").await;
    css(&c, "ol.weakest form button").await;
    if phone {
        fits_the_screen(&c, "progress").await;
    }
    if let Ok(dir) = std::env::var("TIKU_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap_or_else(|e| panic!("{e}"));
        let name = if phone {
            "progress-phone.png"
        } else {
            "progress-desktop.png"
        };
        std::fs::write(std::path::Path::new(&dir).join(name), png)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    c.close().await.unwrap_or_else(|e| panic!("{e}"));
}

#[actix_web::test]
async fn a_candidate_registers_pays_practises_and_sits_a_mock_on_a_desktop() {
    candidate_journey(false, 11).await;
}

#[actix_web::test]
async fn a_candidate_registers_pays_practises_and_sits_a_mock_on_a_phone() {
    candidate_journey(true, 12).await;
}

/// A course site on another origin (`localhost` while tiku is `127.0.0.1`: another site, so no cookie
/// of tiku's could reach the frame): its page holds the signed link in an iframe and writes down the
/// result the frame announces.
fn course_site(frame_src: String, tiku_origin: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let page = format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Course</title></head><body>
<h1>跨境电商实务 · 第一单元</h1>
<p id="got">waiting</p>
<iframe id="tiku" src="{frame_src}" style="width:100%;height:1600px;border:0"></iframe>
<script>
window.addEventListener("message", function (e) {{
  if (e.origin !== "{tiku_origin}" || !e.data || e.data.type !== "tiku:result") {{ return; }}
  document.getElementById("got").textContent = "score " + e.data.score + "/" + e.data.max + " passed " + e.data.passed;
}});
</script></body></html>"#
    );
    let server = actix_web::HttpServer::new(move || {
        let page = page.clone();
        actix_web::App::new().route(
            "/course",
            actix_web::web::get().to(move || {
                let page = page.clone();
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(page)
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap_or_else(|e| panic!("listen: {e}"))
    .run();
    actix_web::rt::spawn(server);
    port
}

#[actix_web::test]
async fn a_student_sits_an_assessment_embedded_in_another_site() {
    let Some(chromedriver) = find_program(&["chromedriver"]) else {
        assert!(
            !required(),
            "TIKU_REQUIRE_BROWSER=1 but chromedriver is not installed"
        );
        eprintln!("chromedriver not found: the browser test is skipped");
        return;
    };
    let bank = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let app = spawn_app(Db::Sqlite, Some(&bank)).await;
    app.add_user(Role::Admin, "root", "admin-password");
    let root = super::helpers::bearer(&app.login("root", "admin-password").await);
    let (sid, admin, teacher) = super::schools::school(&app, &root, "bx", None).await;
    let secret = app
        .send("GET", &format!("/api/v1/schools/{sid}"), None, &admin)
        .await
        .json()["embed_secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = app
        .send(
            "POST",
            &format!("/api/v1/schools/{sid}/classes"),
            Some(json!({"name": "跨境2班"})),
            &teacher,
        )
        .await;
    let class = r.json()["id"].as_str().unwrap_or_default().to_owned();
    let items = super::schools::picks(&app, 4);
    let r = app
        .send(
            "POST",
            &format!("/api/v1/schools/{sid}/assessments"),
            Some(json!({
                "class_id": class, "title": "单元测验", "source": "items", "items": items,
                "opens_at": super::schools::stamp(-1), "closes_at": super::schools::stamp(60),
                "show_keys": "immediately"
            })),
            &teacher,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let aid = r.json()["id"].as_str().unwrap_or_default().to_owned();

    // The course site signs the link for its student and frames it.
    let tiku_origin = app.address.clone();
    let mut params = std::collections::BTreeMap::new();
    params.insert("school".to_owned(), sid.clone());
    params.insert("student".to_owned(), "2025100".to_owned());
    params.insert("name".to_owned(), "周杰".to_owned());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    params.insert("ts".to_owned(), now.to_string());
    params.insert("nonce".to_owned(), "browser-nonce-1".to_owned());
    // The course page's origin is known only once its server is bound; the result may go anywhere
    // the course page is served from, so the link names no origin here and the page checks ours.
    let src = format!(
        "{tiku_origin}/embed/{aid}?{}",
        tiku::web::embed::signed_query(&secret, &params)
    );
    let port = course_site(src, tiku_origin.clone());
    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let c = browser(&driver, profile.path(), false).await;
    c.goto(&format!("http://localhost:{port}/course"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    css(&c, "iframe#tiku").await;
    c.enter_frame(0).await.unwrap_or_else(|e| panic!("{e}"));
    click(&c, "button#start").await;
    css(&c, "form[data-save-url]").await;

    // Answer every question right, by clicking as the student would; the page saves each at once.
    let db = tiku::storage::Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    let mut conn = db.conn().unwrap_or_else(|e| panic!("{e}"));
    let student = tiku::storage::schools::student_by_external(&mut conn, &sid, "2025100")
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the course site's student was created"));
    let attempt = tiku::storage::attempts::of_user_at(&mut conn, &student, &aid)
        .unwrap_or_else(|e| panic!("{e}"))
        .pop()
        .unwrap_or_else(|| panic!("an attempt"));
    let answers = super::mocks::answers(&app, &attempt.id, true);
    assert_eq!(answers.len(), 4);
    for (slot, answer) in &answers {
        let value = match answer {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        click(&c, &format!("input[name='a:{slot}'][value='{value}']")).await;
    }
    // Every answer is acknowledged before submitting.
    let started = Instant::now();
    loop {
        let saved = tiku::storage::attempts::answers(&mut conn, &attempt.id)
            .unwrap_or_else(|e| panic!("{e}"))
            .len();
        if saved == answers.len() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "saved {saved} of {}",
            answers.len()
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    click(&c, "button[name=op][value=submit]").await;
    wait_for_text(&c, "tiku-result", "the result inside the frame").await;

    // The course page heard the result.
    c.enter_parent_frame()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let max: u32 = attempt.paper.questions.iter().map(|q| q.max).sum();
    wait_for_text(
        &c,
        &format!("score {max}/{max} passed true"),
        "the course page receives the result",
    )
    .await;
    let _ = c.close().await;
}

/// The school's pages on a phone's screen: the school, a class (forecast, heatmap, class list), an
/// assessment (embed snippet, gradebook, item analysis), its grading page, and the admin page — none
/// wider than the screen.
#[actix_web::test]
async fn the_school_pages_fit_a_phone() {
    let Some(chromedriver) = find_program(&["chromedriver"]) else {
        assert!(
            !required(),
            "TIKU_REQUIRE_BROWSER=1 but chromedriver is not installed"
        );
        eprintln!("chromedriver not found: the browser test is skipped");
        return;
    };
    let bank = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let app = spawn_app(Db::Sqlite, Some(&bank)).await;
    app.add_user(Role::Admin, "root", "admin-password");
    let root = super::helpers::bearer(&app.login("root", "admin-password").await);
    let (sid, admin, _) = super::schools::school(&app, &root, "ph", None).await;
    let csv = "学号,姓名,班级\n2029001,冯雨,跨境电子商务2班\n2029002,陈思远,跨境电子商务2班\n";
    let class_id = super::schools::class_list(&app, &sid, &admin, csv).await;
    let r = app
        .send(
            "POST",
            &format!("/api/v1/schools/{sid}/assessments"),
            Some(serde_json::json!({
                "class_id": class_id, "title": "第三单元：信用证审单", "source": "fresh",
                "blueprint": "full", "opens_at": super::schools::stamp(-1),
                "closes_at": super::schools::stamp(600)
            })),
            &admin,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let aid = r.json()["id"].as_str().unwrap_or_default().to_owned();

    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let c = browser(&driver, profile.path(), true).await;
    let base = app.address.clone();
    log_in(&c, &base, "ph-admin", "school-pass-1").await;
    for (path, what) in [
        (format!("/school/{sid}"), "school"),
        (format!("/school/{sid}/classes/{class_id}"), "class"),
        (format!("/school/{sid}/assessments/{aid}"), "assessment"),
        (
            format!("/school/{sid}/assessments/{aid}/grading"),
            "grading",
        ),
    ] {
        c.goto(&format!("{base}{path}"))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        wait_for_path(&c, |p| p == path, what).await;
        fits_the_screen(&c, what).await;
    }
    log_out(&c).await;
    log_in(&c, &base, "root", "admin-password").await;
    c.goto(&format!("{base}/admin"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for_path(&c, |p| p == "/admin", "admin").await;
    fits_the_screen(&c, "admin").await;
    c.close().await.unwrap_or_else(|e| panic!("{e}"));
}
